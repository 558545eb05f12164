import { renderSvg, escapeXml } from './svg.js';
import type { DiagramLayout } from './layout.js';

// One self-contained page (no external files, no network): the diagram beside the source. Clicking a box shows
// its line; clicking a block's title folds the block to one line of totals. The script only reads the page.

/** The script of the HTML form; also used by the playground to make its diagram interactive. */
export const diagramScript = String.raw`
(function () {
  function setup(root, showLine) {
    root.addEventListener('click', function (event) {
      var target = event.target;
      if (!target.closest) return;
      var title = target.closest('.group-title');
      if (title) { toggle(root, title.getAttribute('data-group-title')); return; }
      var summary = target.closest('.group-summary');
      if (summary) { toggle(root, summary.parentNode.getAttribute('data-group')); return; }
      var node = target.closest('.node');
      if (!node) return;
      root.querySelectorAll('.node.selected').forEach(function (n) { n.classList.remove('selected'); });
      node.classList.add('selected');
      showLine(Number(node.getAttribute('data-line')), Number(node.getAttribute('data-column')), node);
    });
    root.addEventListener('keydown', function (event) {
      var key = event.target.getAttribute && event.target.getAttribute('data-group');
      if ((event.key === 'Enter' || event.key === ' ') && key) {
        event.preventDefault();
        toggle(root, key);
      }
    });
  }
  function byKey(root, selector, attribute, key) {
    return Array.prototype.filter.call(root.querySelectorAll(selector), function (el) { return el.getAttribute(attribute) === key; })[0];
  }
  function toggle(root, key) {
    var group = key && byKey(root, '.group', 'data-group', key);
    if (!group) return;
    var collapsed = !group.classList.contains('collapsed');
    group.classList.toggle('collapsed', collapsed);
    group.setAttribute('aria-expanded', String(!collapsed));
    var title = byKey(root, '.group-title', 'data-group-title', key);
    var label = title && title.querySelector('.group-label');
    if (label) label.textContent = (collapsed ? '▸ ' : '▾ ') + label.textContent.slice(2);
    var folded = {};
    root.querySelectorAll('.group.collapsed').forEach(function (g) { folded[g.getAttribute('data-group')] = true; });
    var hidden = {};
    root.querySelectorAll('[data-in]').forEach(function (el) {
      var inside = el.getAttribute('data-in').split(' ').some(function (k) { return folded[k]; });
      el.classList.toggle('folded', inside);
      if (inside && el.getAttribute('data-id')) hidden[el.getAttribute('data-id')] = true;
    });
    root.querySelectorAll('.group-title').forEach(function (t) {
      var g = byKey(root, '.group', 'data-group', t.getAttribute('data-group-title'));
      t.classList.toggle('folded', Boolean(g && g.classList.contains('folded')));
    });
    root.querySelectorAll('.edge, .shape').forEach(function (el) {
      var from = el.getAttribute('data-from'), to = el.getAttribute('data-to');
      el.classList.toggle('folded', Boolean(hidden[from] && hidden[to]));
    });
  }
  window.netcDiagram = { setup: setup };
})();
`;

/** Styles of the interactive diagram (folding, selection); shared with the playground. */
export const diagramCss = `
.netc-diagram .node { cursor: pointer; }
.netc-diagram .node.selected rect { stroke-width: 3; filter: drop-shadow(0 0 3px #2563eb); }
.netc-diagram .group-title, .netc-diagram .group-summary { cursor: pointer; user-select: none; }
.netc-diagram .group-summary { display: none; }
.netc-diagram .group.collapsed > .group-summary { display: inline; }
.netc-diagram .group.collapsed > rect { fill: #e2e8f0; }
.netc-diagram .folded { display: none; }
`;

/** The HTML form: the diagram, the source with line numbers, and the selected stage's line and details. */
export function renderHtml(layout: DiagramLayout, source: string, file: string): string {
  const svg = renderSvg(layout, { interactive: true });
  const lines = source.split(/\r\n|\r|\n/);
  const listing = lines
    .map((line, i) => `<div class="src" id="L${i + 1}"><span class="no">${i + 1}</span>${escapeXml(line) || ' '}</div>`)
    .join('');
  const title = `${layout.model.name} — netc diagram`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(title)}</title>
<style>
body { margin: 0; font: 14px system-ui, sans-serif; color: #0f172a; display: flex; height: 100vh; }
#diagram { flex: 1 1 auto; overflow: auto; border-right: 1px solid #cbd5e1; }
aside { flex: 0 0 38%; display: flex; flex-direction: column; min-width: 280px; }
aside h2 { font-size: 13px; margin: 8px 12px 4px; color: #475569; }
#detail { margin: 0 12px 8px; padding: 8px; background: #f1f5f9; border-radius: 6px; white-space: pre-wrap; font: 12px ui-monospace, monospace; min-height: 3em; }
#source { flex: 1 1 auto; overflow: auto; font: 12px/1.5 ui-monospace, 'DejaVu Sans Mono', monospace; margin: 0 0 0 0; }
.src { white-space: pre; padding-right: 8px; }
.src .no { display: inline-block; width: 3.5em; padding-right: 8px; text-align: right; color: #94a3b8; user-select: none; }
.src.current { background: #fef08a; }
${diagramCss}
</style>
</head>
<body>
<div id="diagram">${svg}</div>
<aside>
<h2>${escapeXml(file)}</h2>
<div id="detail">Click a layer to see its line; click a block's title to fold it.</div>
<div id="source">${listing}</div>
</aside>
<script>${diagramScript}
netcDiagram.setup(document.getElementById('diagram'), function (line, column, node) {
  document.querySelectorAll('.src.current').forEach(function (l) { l.classList.remove('current'); });
  var row = document.getElementById('L' + line);
  if (row) { row.classList.add('current'); row.scrollIntoView({ block: 'center' }); }
  var title = node.querySelector('title');
  document.getElementById('detail').textContent = 'line ' + line + ':' + column + ': ' + (row ? row.textContent.replace(/^\\d+/, '').trim() : '') + '\\n' + (title ? title.textContent : '');
});
</script>
</body>
</html>
`;
}
