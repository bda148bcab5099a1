/** The admin console's one stylesheet, served as /admin/admin.css (the CSP allows styles from 'self' only, never inline). */
export const ADMIN_CSS = `:root { color-scheme: light; font-family: system-ui, sans-serif; font-size: 15px; color: #1d2430; background: #f6f7f9; }
body { margin: 0; }
header { background: #1d2430; color: #f6f7f9; padding: 0.6rem 1.2rem; }
header a { color: #cfe0ff; }
.brand { font-weight: 700; margin: 0; }
.readonly { font-weight: 400; font-size: 0.8rem; border: 1px solid #cfe0ff; border-radius: 3px; padding: 0 0.3rem; margin-left: 0.4rem; }
.who { margin: 0.2rem 0; font-size: 0.85rem; }
nav ul { list-style: none; display: flex; flex-wrap: wrap; gap: 1rem; padding: 0; margin: 0.4rem 0 0; }
nav a[aria-current="page"] { color: #fff; font-weight: 700; text-decoration: none; }
main { padding: 1rem 1.2rem; }
h1 { font-size: 1.4rem; margin-top: 0; }
h2 { font-size: 1.1rem; margin-top: 1.4rem; }
table { border-collapse: collapse; background: #fff; margin: 0.4rem 0; }
th, td { border: 1px solid #d6dae1; padding: 0.3rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #eef1f5; }
tr.inactive { color: #8a93a3; }
tr.expiring td { background: #fff4d6; }
tr.expired td { background: #ffe0e0; }
.fingerprint { font-size: 0.75rem; word-break: break-all; }
.role { display: inline-block; background: #e6eefc; border-radius: 3px; padding: 0 0.3rem; margin: 0.1rem 0; }
.ok { color: #17663a; }
.refused { color: #a4161a; }
.muted { color: #6b7484; }
.coverage { background: #fff4d6; padding: 0.3rem 0.5rem; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; }
.facts dt { font-weight: 600; }
.facts dd { margin: 0; }
.policy-columns { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
.policy-column, .policy-other { background: #fff; border: 1px solid #d6dae1; padding: 0.6rem 0.9rem; margin-bottom: 0.6rem; }
.policy-column.shadow { border-style: dashed; }
details.refusal { background: #fff; border: 1px solid #d6dae1; margin: 0.4rem 0; padding: 0.4rem 0.6rem; }
details.refusal .status { font-weight: 700; color: #a4161a; }
.trace { font-family: ui-monospace, monospace; font-size: 0.8rem; }
.chart svg { background: #fff; max-width: 100%; height: auto; }
.chart-frame { fill: none; stroke: #d6dae1; }
.bar-requests { fill: #8fb3e8; }
.bar-refused { fill: #d9534f; }
`;
