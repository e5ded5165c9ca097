"""The state file: what the reconciler last applied per dataset, its lock and atomic writes.

The state is a cache and a drift baseline (like Terraform's), not the truth: losing it is
safe. Its format is documented for users in ``docs/state-format.md``.

    model   StateFile, DatasetRecord, Verification: frozen values and pure helpers
    codec   encode / decode: the canonical bytes, and what is wrong with bad ones
    lock    StateLock, LockInfo: one writer at a time; dead holders' locks taken over
    store   StateStore: load, save (atomic, with a backup), lock, unlock; one project's
    manager  StateManager: what the commands hold a state by (StateStore: a local file)
    backend  StateBackend: where a remote state keeps its bytes (backends/: PostgreSQL, S3)
    changes Change, JournalLine, JournalFile: the journal file beside a local state, replay
    journal Journal: an apply's changes made durable one by one, without holding it up

Typical use, in a command that writes::

    store = StateStore(path, clock, project=StateProject(contracts="contracts", host=url))
    with store.lock("apply", timeout=30):
        state = store.load()
        ...
        state = store.save(state.with_record(dataset, record))
"""

from reconciler.state.changes import Change, journal_path_for
from reconciler.state.codec import decode, encode
from reconciler.state.journal import Journal
from reconciler.state.lock import (
    HolderStatus,
    Liveness,
    LockInfo,
    StateLock,
    holder_status,
    lock_path_for,
    read_lock,
    unlock,
)
from reconciler.state.manager import ChangeLog, Journaling, StateManager
from reconciler.state.model import (
    FORMAT_VERSION,
    DatasetRecord,
    PendingVerification,
    StateFile,
    StateProject,
    Verification,
    soda_cloud_key,
)
from reconciler.state.store import StateStore

__all__ = [
    "FORMAT_VERSION",
    "Change",
    "ChangeLog",
    "DatasetRecord",
    "HolderStatus",
    "Journal",
    "Journaling",
    "Liveness",
    "LockInfo",
    "PendingVerification",
    "StateFile",
    "StateLock",
    "StateManager",
    "StateProject",
    "StateStore",
    "Verification",
    "decode",
    "encode",
    "holder_status",
    "journal_path_for",
    "lock_path_for",
    "read_lock",
    "soda_cloud_key",
    "unlock",
]
