// az serve's page: plain JavaScript over the JSON API (/api/...). The
// server replays every position from its moves; the page only keeps the
// moves and shows what the server says.
'use strict';

const token = new URLSearchParams(location.search).get('token');
const ui = {
  info: null,      // /api/info
  pos: null,       // the position on the board (/api/position)
  moves: [],       // its moves, one string each
  analysis: null,  // the last /api/analyze answer for this position
  busy: 0,
  seed: 1,
};

function $(id) { return document.getElementById(id); }

function setBusy(delta) {
  ui.busy += delta;
  document.body.dataset.busy = String(ui.busy);
}

async function api(path, body) {
  const headers = {};
  if (token) headers['Authorization'] = 'Bearer ' + token;
  const init = {headers};
  if (body !== undefined) {
    init.method = 'POST';
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  setBusy(1);
  try {
    const response = await fetch(path, init);
    const answer = await response.json();
    if (!response.ok) throw new Error(answer.error || response.statusText);
    return answer;
  } finally {
    setBusy(-1);
  }
}

function say(text) { $('status').textContent = text; }
function fixed(x, digits = 3) {
  return x === null || x === undefined ? '-' : (x >= 0 ? '+' : '') + x.toFixed(digits);
}
function percent(x) { return (100 * x).toFixed(1) + '%'; }

function humanToMove() {
  const side = $('side').value;
  return side === 'both' || (ui.pos && ui.pos.to_move === side);
}

// The cell where a move's label goes: the landing cell of a column, or
// the cell itself.
function cellOfAction(action) {
  const info = ui.info;
  if (!info.columns_are_moves) return action;
  for (let r = info.rows - 1; r >= 0; --r) {
    const i = r * info.columns + action;
    if (ui.pos.cells[i] === 0) return i;
  }
  return -1;
}

function renderBoard() {
  const info = ui.info, pos = ui.pos, board = $('board');
  board.style.gridTemplateColumns = `repeat(${info.columns}, auto)`;
  board.textContent = '';
  const clickable = !pos.terminal && humanToMove() && ui.busy === 0;
  const labels = moveLabels();
  for (let i = 0; i < pos.cells.length; ++i) {
    const cell = document.createElement('div');
    cell.className = 'cell';
    cell.dataset.index = i;
    const owner = pos.cells[i];
    if (info.game === 'tictactoe') {
      cell.textContent = owner === 1 ? 'X' : owner === 2 ? 'O' : '';
    } else if (owner) {
      const stone = document.createElement('div');
      stone.className = 'stone p' + owner;
      cell.appendChild(stone);
    }
    if (clickable && pos.cell_actions[i] >= 0) {
      cell.classList.add('clickable');
      cell.addEventListener('click', () => playAction(pos.cell_actions[i]));
    }
    if (labels.has(i)) cell.appendChild(labels.get(i));
    board.appendChild(cell);
  }
  const pass = pos.legal.find(m => m.move === 'pass');
  $('pass').hidden = !(clickable && pass);
  $('movelist').value = pos.moves;
  if (pos.terminal) {
    say(`game over: ${pos.verdict}`);
  } else {
    say(`${pos.to_move} to move` + (humanToMove() ? ' (you)' : ''));
  }
}

// Labels on the board for the analysed moves: visit share, coloured by the
// exact outcome of the move where it is known.
function moveLabels() {
  const labels = new Map();
  const a = ui.analysis;
  if (!a || a.position !== ui.pos.moves) return labels;
  const total = a.moves.reduce((s, m) => s + m.visits, 0) || 1;
  const exact = a.exact_labels && a.exact_labels.moves;
  for (const m of a.moves) {
    const legal = ui.pos.legal.find(l => l.move === m.move);
    if (!legal) continue;
    const cell = cellOfAction(legal.action);
    if (cell < 0) continue;
    const label = document.createElement('span');
    label.className = 'label';
    label.textContent = Math.round(100 * m.visits / total) + '%';
    if (exact && exact[m.move]) label.classList.add(exact[m.move].result);
    labels.set(cell, label);
  }
  return labels;
}

async function show(pos) {
  ui.pos = pos;
  ui.moves = pos.move_list.slice();
  if (ui.analysis && ui.analysis.position !== pos.moves) ui.analysis = null;
  renderBoard();
  if (!$('panel-analyse').hidden) await analyse();
}

async function load(moves) {
  await show(await api('/api/position?moves=' + encodeURIComponent(moves)));
}

async function playAction(action) {
  const legal = ui.pos.legal.find(m => m.action === action);
  if (!legal || ui.busy) return;
  try {
    await show(await api('/api/play', {moves: ui.pos.moves, move: legal.move}));
    await reply();
  } catch (e) { say(e.message); }
}

// The opponent moves while it is its turn.
async function reply() {
  while (!ui.pos.terminal && !humanToMove()) {
    const opponent = $('opponent').value;
    say(`${opponent} is thinking...`);
    const answer = await api('/api/reply',
        {moves: ui.pos.moves, player: opponent, seed: ui.seed});
    await show(answer.position);
  }
  renderBoard();
}

async function newGame() {
  ui.seed = Math.floor(Math.random() * 1e9);
  ui.analysis = null;
  try { await load(''); await reply(); } catch (e) { say(e.message); }
}

async function undo() {
  const moves = ui.moves.slice();
  if (!moves.length) return;
  moves.pop();
  // Back to a position where the person moves.
  await load(moves.join(''));
  while (!humanToMove() && ui.moves.length) {
    await load(ui.moves.slice(0, -1).join(''));
  }
}

function exactText(e) {
  if (!e) return '-';
  return e.result + (e.score ? ` (${e.score > 0 ? '+' : ''}${e.score})` : '');
}

function disagrees(learned, exact) {
  return exact !== undefined && learned !== null && Math.abs(learned - exact) > 0.5;
}

function renderAnalysis() {
  const a = ui.analysis;
  const body = $('analysis').querySelector('tbody');
  body.textContent = '';
  if (!a) return;
  const ex = a.exact_labels || {status: 'none'};
  const done = ex.status === 'done';
  $('pos-wdl').textContent = `W ${percent(a.wdl.win)} D ${percent(a.wdl.draw)} L ${percent(a.wdl.loss)}`;
  $('pos-v').textContent = fixed(a.v);
  $('pos-q').textContent = fixed(a.q);
  $('pos-exact').textContent = done ? exactText(ex)
      : ex.status === 'solving' ? 'solving…' : ex.status === 'none' ? 'no solver' : ex.error;
  $('pos-proven').textContent = a.proven ? `yes (${a.exact_detail.result})` : 'no';
  $('pos-best').textContent = a.best_move;
  for (const m of a.moves) {
    const row = document.createElement('tr');
    row.dataset.move = m.move;
    const e = done ? ex.moves[m.move] : undefined;
    const cells = [m.move, percent(m.prior), String(m.visits), fixed(m.q),
                   done ? exactText(e) : ex.status === 'solving' ? 'solving…' : '-'];
    const names = ['move', 'prior', 'visits', 'q', 'exact'];
    cells.forEach((text, k) => {
      const td = document.createElement('td');
      td.className = names[k];
      td.textContent = text;
      row.appendChild(td);
    });
    if (m.move === a.best_move) row.classList.add('best');
    if (e && disagrees(m.q, e.value)) row.classList.add('disagree');
    body.appendChild(row);
  }
  const bar = $('verdict-bar');
  bar.className = done ? (disagrees(a.v, ex.value) ? 'disagree' : 'agree') : '';
  $('verdict-v').style.left = `${(a.v + 1) / 2 * 100}%`;
  $('verdict-exact').style.display = done ? '' : 'none';
  if (done) $('verdict-exact').style.left = `${(ex.value + 1) / 2 * 100}%`;
  renderBoard();
}

async function analyse() {
  if (!ui.pos || ui.pos.terminal) { ui.analysis = null; renderAnalysis(); return; }
  const moves = ui.pos.moves;
  try {
    const a = await api('/api/analyze', {moves, sims: Number($('sims').value)});
    if (moves !== ui.pos.moves) return;
    ui.analysis = a;
    renderAnalysis();
    pollExact(moves);
  } catch (e) { say(e.message); }
}

// Fills in the exact labels once the background solver has them.
async function pollExact(moves) {
  while (ui.analysis && ui.analysis.position === moves &&
         ui.analysis.exact_labels.status === 'solving') {
    await new Promise(r => setTimeout(r, 400));
    const ex = await api('/api/exact?moves=' + encodeURIComponent(moves));
    if (ui.analysis && ui.analysis.position === moves) {
      ui.analysis.exact_labels = ex;
      renderAnalysis();
    }
  }
}

function showTab(name) {
  for (const tab of document.querySelectorAll('nav .tab')) {
    tab.classList.toggle('active', tab.dataset.tab === name);
    $('panel-' + tab.dataset.tab).hidden = tab.dataset.tab !== name;
  }
  if (name === 'analyse') analyse();
  if (name === 'browse') browse();
  if (name === 'run') watchRun();
}

async function browse() {
  const select = $('source');
  if (!select.options.length) {
    for (const s of ui.info.sources) {
      select.add(new Option(`${s.name} (${s.positions})`, s.id));
    }
  }
  const list = $('positions');
  list.textContent = '';
  if (!select.value) { list.textContent = 'no sources (--sets, --gap)'; return; }
  const answer = await api('/api/browse?source=' + encodeURIComponent(select.value));
  for (const p of answer.positions) {
    const item = document.createElement('li');
    let text = p.moves || '(start)';
    if (p.v !== undefined) text += `  v ${fixed(p.v)} reward ${fixed(p.reward)}`;
    if (p.score !== undefined) text += `  score ${p.score}`;
    item.textContent = text;
    item.addEventListener('click', async () => {
      await load(p.moves);
      showTab('analyse');
    });
    list.appendChild(item);
  }
}

async function watchRun() {
  if ($('panel-run').hidden) return;
  try {
    const run = await api('/api/run');
    $('run-progress').textContent = run.progress;
    $('run-chart').src = '/api/run/metrics.svg?t=' + Date.now() +
        (token ? '&token=' + encodeURIComponent(token) : '');
    const select = $('opponent');
    for (const p of run.players) {
      if (![...select.options].some(o => o.value === p)) select.add(new Option(p, p));
    }
  } catch (e) { $('run-progress').textContent = e.message; }
  setTimeout(watchRun, 30000);
}

async function start() {
  ui.info = await api('/api/info');
  document.body.classList.add('game-' + ui.info.game);
  $('game-name').textContent = ui.info.game;
  $('sims').value = ui.info.default_sims;
  $('sims').max = ui.info.max_sims;
  $('tab-run').hidden = !ui.info.run;
  for (const p of ui.info.players) $('opponent').add(new Option(p, p));
  for (const tab of document.querySelectorAll('nav .tab')) {
    tab.addEventListener('click', () => showTab(tab.dataset.tab));
  }
  $('new-game').addEventListener('click', newGame);
  $('undo').addEventListener('click', () => undo().catch(e => say(e.message)));
  $('side').addEventListener('change', () => reply().catch(e => say(e.message)));
  $('analyse-run').addEventListener('click', analyse);
  $('source').addEventListener('change', browse);
  $('pass').addEventListener('click', () => {
    const pass = ui.pos.legal.find(m => m.move === 'pass');
    if (pass) playAction(pass.action);
  });
  $('copy-moves').addEventListener('click', () => {
    $('movelist').select();
    if (navigator.clipboard) navigator.clipboard.writeText(ui.pos.moves);
  });
  await load('');
  // For tests and measurements: when the page was first ready to play.
  document.body.dataset.readyMs = String(Math.round(performance.now()));
  document.body.dataset.ready = '1';
}

start().catch(e => say(e.message));
