"""Chaos: ``reconciler apply`` killed with SIGKILL at random points while Soda Cloud fails,
then re-run until it succeeds. Whatever the points, Soda Cloud ends equal to git, every
change lands exactly once, and the state owes nothing.

The points and the faults are drawn from a seeded ``random.Random``, so a failing seed can be
replayed. What a kill interrupts still varies with timing; what is asserted does not.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import pytest

from reconciler.emulator import EmulatorFactory, RunningEmulator
from reconciler.state import LockInfo, StateStore, read_lock
from tests.chaos.runs import ApplyProcess, Finished
from tests.cloud.support import bulk_seed, contract_text, dataset_name

TIME_SCALE = 120.0
KILLED_ROUNDS = 4  # the first rounds are killed; later ones run to their end
MAX_ROUNDS = 14


@dataclass(frozen=True)
class Mix:
    """Which datasets get what: publishes (meaning changed, or format only), adopts, creates
    and a stub. Every dataset exists in Soda Cloud; the first ``in_cloud`` have a contract."""

    publish: tuple[str, ...]
    reformat: tuple[str, ...]
    adopt: tuple[str, ...]
    create: tuple[str, ...]
    stub: str

    @property
    def in_cloud(self) -> int:
        return len(self.publish) + len(self.reformat) + len(self.adopt)

    @property
    def verified(self) -> tuple[str, ...]:
        return self.publish + self.create

    @property
    def all(self) -> tuple[str, ...]:
        return self.publish + self.reformat + self.adopt + self.create + (self.stub,)


def make_mix() -> Mix:
    names = [dataset_name(i) for i in range(18)]
    return Mix(
        publish=tuple(names[0:6]),
        reformat=tuple(names[6:8]),
        adopt=tuple(names[8:11]),
        create=tuple(names[11:17]),
        stub=names[17],
    )


def git_files(mix: Mix) -> dict[str, str]:
    files = {name: contract_text(name, threshold=5) for name in mix.publish}
    files |= {name: "# formatted\n" + contract_text(name) for name in mix.reformat}
    files |= {name: contract_text(name) for name in mix.adopt}
    files |= {name: contract_text(name, threshold=2) for name in mix.create}
    files[mix.stub] = f"dataset: {mix.stub}\n"
    return files


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / f"{name}.yml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def run_until_success(apply: ApplyProcess, rng: random.Random) -> list[Finished]:
    """Kill the first rounds at drawn points, then re-run until an exit 0: plain re-runs, as
    a CI retry makes them, with no `state unlock` in between."""
    rounds: list[Finished] = []
    left: LockInfo | None = None
    for number in range(MAX_ROUNDS):
        if number < KILLED_ROUNDS:
            if rng.random() < 0.5:
                finished = apply.stop_after_lines(rng.randint(1, 24))
            else:
                finished = apply.stop_after_requests(rng.randint(1, 45))
        else:
            finished = apply.run()
        rounds.append(finished)
        if left is not None:
            # The killed run's lock was taken over, in one line naming that run.
            took_over = [
                line for line in finished.stderr.splitlines() if line.startswith("Took over")
            ]
            assert len(took_over) == 1, _story(rounds)
            assert f'(pid {left.pid}, operation "apply")' in took_over[0], _story(rounds)
        left = apply.left_lock() if finished.stopped else None
        if finished.stopped:
            continue
        if finished.exit_code == 0:
            return rounds
        # A write whose outcome stayed unknown fails its dataset (exit 1) and leaves the
        # rest to the next run; anything else is a failure of this test.
        assert finished.exit_code == 1, _story(rounds)
        assert "re-run" in (finished.stdout + finished.stderr).lower(), _story(rounds)
    pytest.fail("apply did not succeed within the rounds allowed:\n" + _story(rounds))


def _story(rounds: list[Finished]) -> str:
    return "\n".join(
        f"round {i}: exit {r.exit_code}"
        + (f" ({r.stopped_by})" if r.stopped_by else "")
        + f"\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}"
        for i, r in enumerate(rounds)
    )


def assert_converged(cloud: RunningEmulator, apply: ApplyProcess, mix: Mix) -> None:
    state = cloud.admin.state()
    datasets = [c.dataset for c in state.contracts]
    assert sorted(datasets) == sorted(mix.all), "one contract per dataset, none missing"
    by_dataset = {c.dataset: c for c in state.contracts}
    for name in mix.all:
        on_disk = (apply.contracts / f"{name}.yml").read_bytes()
        assert by_dataset[name].contents.encode() == on_disk, f"{name}: Soda Cloud != git"
    # Exactly one new version per change: no publish landed twice, no create was repeated.
    versions = {name: by_dataset[name].versions for name in mix.all}
    expected = {name: 2 for name in mix.publish + mix.reformat}
    expected |= {name: 1 for name in mix.adopt + mix.create + (mix.stub,)}
    assert versions == expected
    saved = StateStore(apply.state_path).load()
    assert dict(saved.pending) == {}, "no verification is still owed"
    assert sorted(saved.datasets) == sorted(mix.all)
    scans = {scan.id: scan for scan in state.scans}
    for name in mix.all:
        record = saved.datasets[name]
        assert record.contract_id == by_dataset[name].id
        if name in mix.verified:
            verification = record.last_verification
            assert verification is not None, f"{name}: no verification recorded"
            assert verification.state == "completed"
            assert scans[verification.scan_id].dataset == name
            assert scans[verification.scan_id].state == "completed"
    assert read_lock(apply.state_path) is None


@pytest.mark.parametrize("seed", [3, 17, 29])
def test_apply_killed_at_random_points_converges_with_every_change_once(
    seed: int, start_emulator: EmulatorFactory, tmp_path: Path
) -> None:
    mix = make_mix()
    cloud = start_emulator(bulk_seed(len(mix.all), contracts=mix.in_cloud), time_scale=TIME_SCALE)
    apply = ApplyProcess(tmp_path, cloud)
    write(apply.contracts, git_files(mix))
    cloud.admin.set_faults(
        error_rate=0.04, lost_response_rate=0.08, reset_rate=0.03, throttle_rate=0.05, seed=seed
    )

    rounds = run_until_success(apply, random.Random(seed))

    assert any(r.stopped for r in rounds), "the first round is always killed"
    assert cloud.admin.stats().faults, "the faults really fired"
    cloud.admin.set_faults()  # the checks below read Soda Cloud undisturbed
    assert_converged(cloud, apply, mix)
    follow_up = apply.run()
    assert follow_up.exit_code == 0, follow_up.stderr
    assert "No changes" in follow_up.stdout
