// Shadow-root styles: the page's CSS cannot reach in, ours cannot leak out. Theme with the
// --parrain-* custom properties set on the placeholder or any ancestor.
export const CSS = `
:host{display:block;max-width:100%;color:var(--parrain-text,#1d1d1f);font:var(--parrain-font,15px/1.5 system-ui,sans-serif)}
.w{--a:var(--parrain-accent,var(--brand,#1f6feb));box-sizing:border-box;padding:var(--parrain-padding,1rem);background:var(--parrain-background,#fff);border:1px solid var(--parrain-border,#d0d7de);border-radius:var(--parrain-radius,10px);min-width:0}
*{box-sizing:border-box}
h2{font-size:1.15em;margin:0 0 .5rem}
p{margin:.4rem 0}
form,.row{display:flex;flex-wrap:wrap;gap:.5rem;align-items:flex-end;margin:.5rem 0}
label{display:block;font-weight:600;font-size:.9em;width:100%}
.check{display:flex;gap:.5rem;align-items:flex-start;font-weight:400}
.check input{margin-top:.3rem;flex:none}
input[type=email],input[type=text],textarea{flex:1 1 12rem;min-width:0;width:100%;padding:.55rem .6rem;font:inherit;border:1px solid var(--parrain-border,#8c959f);border-radius:calc(var(--parrain-radius,10px)/2);background:#fff;color:inherit}
textarea{min-height:4rem}
button,a.b{display:inline-flex;align-items:center;justify-content:center;min-height:44px;padding:.5rem .9rem;font:inherit;font-weight:600;border-radius:calc(var(--parrain-radius,10px)/2);border:1px solid var(--a);background:var(--a);color:var(--parrain-accent-text,#fff);cursor:pointer;text-decoration:none}
a.b,button.s{background:transparent;color:var(--a)}
button:disabled{opacity:.6;cursor:wait}
:focus-visible{outline:3px solid var(--a);outline-offset:2px}
.ch{display:flex;flex-wrap:wrap;gap:.4rem;margin:.5rem 0}
.code{font:700 1.4em/1.2 ui-monospace,monospace;letter-spacing:.05em;word-break:break-all}
.err{color:var(--parrain-error,#b42318);font-weight:600}
.ok{color:var(--parrain-success,#1a7f37)}
.muted,.links{font-size:.85em;color:var(--parrain-muted,#57606a)}
.links a{color:inherit;margin-right:.8rem}
img{display:block;max-width:100%;height:auto;margin:.5rem 0}
h3{font-size:1em;margin:.8rem 0 .3rem}
ul{list-style:none;padding:0;margin:.3rem 0}
.bd{margin:.6rem 0}
.bh,.bl li{display:flex;gap:.6rem;align-items:center}
.bl li{margin:.4rem 0}
.bi{flex:none;width:48px;height:48px;margin:0;border-radius:50%;object-fit:cover}
.off .bi{filter:grayscale(1);opacity:.45}
progress{width:100%;accent-color:var(--a)}
.cd{font-size:.9em}
.met::before{content:"✓ ";color:var(--parrain-success,#1a7f37)}
.pts{font-size:1.5em;font-weight:700}
table{width:100%;border-collapse:collapse;font-size:.9em}
caption{text-align:left;font-weight:600}
td,th{padding:.3rem .2rem;text-align:left;border-bottom:1px solid var(--parrain-border,#d0d7de)}
td+td+td,th+th+th{text-align:right;white-space:nowrap}
.neg{color:var(--parrain-error,#b42318)}
.bo{border-left:4px solid var(--a);padding-left:.7rem;margin:.5rem 0}
.lb{display:inline-block;padding:.1rem .6rem;border-radius:1em;background:var(--a);color:var(--parrain-accent-text,#fff);font-weight:700;font-size:.85em}
[role=timer]{font-variant-numeric:tabular-nums;font-weight:600}
.ct li{margin:.6rem 0}
.ct a{margin-left:.5rem;color:var(--a)}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
`;
