// The plan's pull-request comments, kept as Atlantis keeps Terraform's: the comment files
// `reconciler plan --split DIR` wrote (comment-001.md, ...; each fits in a comment, together
// they hold every dataset) are posted in order, each behind a hidden marker that finds them
// again on the next push.
//
// - As many parts as last time: each comment is updated in place (nobody is notified again).
// - Another number of parts: the new parts are posted, and the older comments are hidden
//   as outdated (GraphQL minimizeComment, classifier OUTDATED) after their marker is
//   changed, so that no later run mistakes them for the current plan.
// - No file (the plan could not be made): one comment says so, with the exit code.
//
// The files are posted as they are: never cut (a cut would lose a closing fence or
// </details>). The marker and a footer naming the commit and the run fit in the room the
// reconciler leaves in each part; the footer is left out where it would not fit.

'use strict';

const fs = require('fs');
const path = require('path');

// GitHub refuses a comment longer than this many characters.
const LIMIT = 65536;
const FILE = /^comment-\d+\.md$/;

function characters(text) {
  return [...text].length; // code points, as GitHub counts, not UTF-16 units
}

function markerOf(key) {
  if (!/^[A-Za-z0-9_.:-]{1,100}$/.test(key)) {
    throw new Error(`comment-key ${JSON.stringify(key)}: letters, digits, _ . : - only (at most 100)`);
  }
  return { current: `<!-- ${key} -->`, outdated: `<!-- ${key} outdated -->` };
}

function readParts(folder, exitCode) {
  const names = folder && fs.existsSync(folder) ? fs.readdirSync(folder).filter((n) => FILE.test(n)).sort() : [];
  const parts = names.map((n) => fs.readFileSync(path.join(folder, n), 'utf8'));
  if (parts.some((p) => /\S/.test(p))) return parts;
  return [`**The plan could not be made** (exit ${exitCode || 'unknown'}): see the job log.\n`];
}

function bodiesOf(parts, marker, env) {
  const footer = env.HEAD_SHA
    ? `\n<sub>for ${env.HEAD_SHA.slice(0, 7)} · [run](${env.RUN_URL})</sub>\n`
    : '';
  return parts.map((part, index) => {
    let body = `${marker}\n${part}`;
    if (index === parts.length - 1 && characters(body) + characters(footer) <= LIMIT) body += footer;
    if (characters(body) > LIMIT) {
      throw new Error(
        `part ${index + 1} holds ${characters(body)} characters, more than a comment's ${LIMIT}: ` +
          'it was not made by `reconciler plan --split`; nothing was posted',
      );
    }
    return body;
  });
}

async function postComments({ github, context, env }) {
  const marker = markerOf(env.COMMENT_KEY || 'reconciler-plan');
  const bodies = bodiesOf(readParts(env.COMMENTS, env.EXIT_CODE), marker.current, env);
  const { owner, repo } = context.repo;
  const issue_number = context.issue.number;
  const listed = await github.paginate(github.rest.issues.listComments, {
    owner,
    repo,
    issue_number,
    per_page: 100,
  });
  const mine = listed
    .filter((c) => c.user && c.user.type === 'Bot' && (c.body || '').startsWith(`${marker.current}\n`))
    .sort((a, b) => a.id - b.id);
  const done = { updated: 0, created: 0, hidden: 0 };
  if (mine.length === bodies.length) {
    for (const [index, body] of bodies.entries()) {
      await github.rest.issues.updateComment({ owner, repo, comment_id: mine[index].id, body });
      done.updated += 1;
    }
    return done;
  }
  for (const body of bodies) {
    await github.rest.issues.createComment({ owner, repo, issue_number, body });
    done.created += 1;
  }
  for (const old of mine) {
    const body = `${marker.outdated}\n_An earlier plan: the newest is in the comments below._\n`;
    await github.rest.issues.updateComment({ owner, repo, comment_id: old.id, body });
    await github.graphql(
      'mutation($id: ID!) { minimizeComment(input: {subjectId: $id, classifier: OUTDATED}) { minimizedComment { isMinimized } } }',
      { id: old.node_id },
    );
    done.hidden += 1;
  }
  return done;
}

module.exports = { postComments, LIMIT };
