/**
 * The fixed CSS and script of a trace page. Both are constants (no sample data is ever spliced
 * into them), which is what keeps the page safe to open: user text only reaches the page escaped.
 */
export const TRACE_CSS = `
body{font:13px/1.45 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
header{position:sticky;top:0;z-index:2;background:#fff;border-bottom:1px solid #d9dde5;padding:8px 14px}
h1{font-size:16px;margin:0 0 4px}
.sum span{margin-right:14px}.sum em,.hd em{font-style:normal;color:#6b7280}
.ctl{margin-top:6px}.ctl input,.ctl select{font:inherit;margin-right:8px}
.lg i{font-style:normal;padding:0 4px;margin-right:4px;border-radius:2px}
main{padding:10px 14px}
.card{background:#fff;border:1px solid #d9dde5;border-radius:6px;margin:0 0 12px;padding:8px 10px}
.hd .f{display:inline-block;margin:0 14px 2px 0}
.st.ok{color:#15803d}.st.bad{color:#b91c1c}
.warn{color:#b91c1c;margin:2px 0}
details{margin:2px 0}summary{cursor:pointer;color:#374151}
.msg{white-space:pre-wrap;word-break:break-word;background:#f3f4f6;margin:2px 0 6px;padding:4px 6px;border-radius:3px;font:12px/1.4 ui-monospace,monospace}
.msg.rs{color:#6b7280}.msg.tc{color:#7c2d12}.role{font-weight:600;margin-top:4px}
.ts{font:12px/1.7 ui-monospace,monospace;white-space:pre-wrap;word-break:break-all;margin-top:6px;max-height:70vh;overflow:auto;border-top:1px solid #e5e7eb;padding-top:4px}
.ts i{font-style:normal;border-right:1px solid rgba(0,0,0,.07);cursor:default}
.ts i:hover{outline:1px solid #111}
.p i,i.p{background:#e0e7ff}.s i,i.s{background:#dcfce7}.t i,i.t{background:#ffedd5}.u i,i.u{background:#f3e8ff}.c i,i.c{background:#e5e7eb;color:#6b7280}
.x i,i.x{background:#fff;outline:1px dashed #dc2626;color:#dc2626}
.s i.h1{background:#fef08a}.s i.h2{background:#fdba74}.s i.h3{background:#f97316;color:#fff}.s i.h4{background:#dc2626;color:#fff}
.ts i.w,.lg i.w{text-decoration:underline wavy #dc2626}
.mk{font:600 11px system-ui,sans-serif;color:#4b5563}
.tb{display:block;border-top:1px solid #9ca3af;margin:6px 0 2px;padding-top:2px}
.rb{background:#1d2330;color:#fff;padding:0 4px;margin:0 3px;border-radius:2px}
[hidden]{display:none}
`;

/**
 * Filters (status, agent, text) hide cards by their data attributes and text; the tooltip of a
 * token is built on first hover from its attributes and those of its span container.
 */
export const TRACE_SCRIPT = `
(function(){
var q=document.getElementById('q'),fs=document.getElementById('fs'),fa=document.getElementById('fa'),shown=document.getElementById('shown');
var cards=Array.prototype.slice.call(document.querySelectorAll('.card'));
function apply(){
  var t=q.value.toLowerCase(),s=fs.value,a=fa.value,n=0;
  cards.forEach(function(c){
    var ok=(!s||c.dataset.status===s)&&(!a||c.dataset.agent===a)&&(!t||c.textContent.toLowerCase().indexOf(t)>=0);
    c.hidden=!ok;if(ok)n++;
  });
  shown.textContent=String(n);
}
q.addEventListener('input',apply);fs.addEventListener('change',apply);fa.addEventListener('change',apply);
document.addEventListener('mouseover',function(e){
  var el=e.target;if(!el||el.tagName!=='I'||el.title)return;
  var g=el.parentNode;if(!g||!g.dataset||g.dataset.s===undefined)return;
  var d=el.dataset,gd=g.dataset,idx=Number(gd.s)+Array.prototype.indexOf.call(g.children,el);
  var p=['#'+idx,'id '+(d.t||el.textContent),'kind '+(gd.k||'none (outside every span)'),'mask '+(d.m===undefined?'- (prompt)':d.m)];
  if(d.l!==undefined)p.push('logprob '+d.l+' (p='+Math.exp(Number(d.l)).toFixed(3)+')');
  if(gd.turn!==undefined)p.push('turn '+gd.turn);
  if(gd.wv)p.push('weights '+gd.wv);
  if(gd.tool)p.push('tool '+gd.tool);
  if(el.classList.contains('w'))p.push('MASK DISAGREES WITH SPAN');
  el.title=p.join('\\n');
});
})();
`;
