// Parses PowerShell scripts with tree-sitter-powershell and reports syntax
// errors (unbalanced brackets, unterminated strings, ...). There is no pwsh
// on Debian, so this is as far as CI can check build.ps1.
// Usage: node ps1-lint.mjs FILE.ps1...  (run where tree-sitter and
// tree-sitter-powershell are installed; .ci/run does that).
import Parser from "tree-sitter";
import PowerShell from "tree-sitter-powershell";
import fs from "node:fs";
const p = new Parser(); p.setLanguage(PowerShell);
let bad = 0;
for (const file of process.argv.slice(2)) {
  const src = fs.readFileSync(file, 'utf8');
  const errs = [];
  (function walk(n) { if (n.type === 'ERROR' || n.isMissing) errs.push(n); for (const c of n.children) walk(c); })(p.parse(src).rootNode);
  for (const e of errs) {
    console.log(`${file}:${e.startPosition.row + 1}:${e.startPosition.column + 1}: ${e.isMissing ? 'missing ' + e.type : 'syntax error'}: ${src.slice(e.startIndex, Math.min(e.endIndex, e.startIndex + 60)).replace(/\n/g, '\\n')}`);
  }
  // Strings like "$Name: text" are an error in PowerShell (a scope-qualified
  // variable); tree-sitter does not catch it.
  src.split('\n').forEach((line, i) => {
    if (/"[^"]*\$[A-Za-z_][A-Za-z0-9_]*:[^A-Za-z0-9_]/.test(line) && !/\$(env|script|global|local|using|private):/i.test(line)) {
      console.log(`${file}:${i + 1}: "$Name:" in a double-quoted string; write \${Name}:`);
      errs.push(line);
    }
  });
  if (errs.length === 0) console.log(`${file}: parses`);
  bad += errs.length;
}
process.exit(bad ? 1 : 0);
