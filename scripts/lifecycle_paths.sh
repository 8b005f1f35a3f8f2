#!/usr/bin/env bash
# Walk every lifecycle path of SPEC 2.1 through the real `ledger` CLI and print each outcome.
#   bash scripts/lifecycle_paths.sh [DATABASE_URL]     (default: a fresh SQLite file in /tmp)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
ledger="$here/.venv/bin/ledger"
db=${1:-sqlite:///$(mktemp -d)/paths.db}
tag=$(date +%s%N | tail -c 7)
today=$(date -u +%F)

run() { "$ledger" --db "$db" "$@"; }
new() {  # new ORDER AMOUNT TOTAL REASON [more request options] -> prints the refund id
  local order=$1 amount=$2 total=$3 reason=$4; shift 4
  run request --order "O-$tag-$order" --customer "C-$tag-$order" --amount "$amount" \
    --currency EUR --order-total "$total" --reason "$reason" --actor agent:ann \
    --purchased-on "$today" "$@" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'
}
state() { run show "$1" --json | python3 -c '
import json, sys
r = json.load(sys.stdin)
print("%-16s approved=%s paid=%s tier=%s flags=%s rule=%s" % (
    r["status"], r["approved_amount"], r["paid_amount"], r["tier"], r["flags"], r["last_rule"]))'; }
path() { printf '%-44s ' "$1"; state "$2"; }

echo "database: $db"
id=$(new 1 20.00 100.00 billing_error); path "auto-approval (<= 50.00, verified at once)" "$id"

id=$(new 2 400.00 500.00 damaged)
run verify "$id" --actor verifier:vic --condition "box crushed" >/dev/null
run approve "$id" --actor manager:mia --note "photos match" >/dev/null
path "goods verified, manager approval" "$id"

id=$(new 3 6000.00 9000.00 billing_error)
run approve "$id" --actor finance:fay >/dev/null
run approve "$id" --actor finance:fay 2>&1 | sed 's/^/    same approver twice -> /' || true
run approve "$id" --actor finance:fred >/dev/null
path "dual control (two finance approvers)" "$id"

id=$(new 4 80.00 100.00 wrong_item)
run verify "$id" --actor verifier:vic --fail "wrong item not returned" >/dev/null
path "failed verification -> rejected by policy" "$id"

id=$(new 5 300.00 400.00 price_adjustment)
run reject "$id" --actor manager:mia --reason "price matched already" >/dev/null
run dispute open "$id" --actor customer:c-$tag-5 --reason "it was not" >/dev/null
run dispute resolve "$id" --actor disputes:dana --outcome overturned --amount 300.00 \
  --rationale "receipt shows the old price" >/dev/null
run payout start "$id" --actor finance:fay >/dev/null
run payout settle "$id" --actor finance:fay --reference "PSP-$tag-5" >/dev/null
path "rejected, disputed, overturned, paid" "$id"

id=$(new 6 200.00 400.00 late_delivery)
run approve "$id" --actor manager:mia --amount 150.00 >/dev/null
run payout start "$id" --actor finance:fay --method bank_transfer >/dev/null
run payout fail "$id" --actor finance:fay --reason "IBAN rejected" >/dev/null
run payout start "$id" --actor finance:fay >/dev/null
run payout settle "$id" --actor finance:fay --reference "PSP-$tag-6a" >/dev/null
path "partial approval, payout failed then retried" "$id"
run dispute open "$id" --actor agent:ann --reason "customer wants the rest" >/dev/null
run dispute resolve "$id" --actor disputes:dana --outcome overturned --amount 200.00 \
  --rationale "delivery was 9 days late" >/dev/null
run payout start "$id" --actor finance:fay >/dev/null
run payout settle "$id" --actor finance:fay --reference "PSP-$tag-6b" >/dev/null
path "paid, overturned: only the difference paid" "$id"

id=$(new 7 40.00 100.00 billing_error)
run dispute open "$id" --actor agent:ann --reason "customer disagrees" >/dev/null
run dispute resolve "$id" --actor disputes:dana --outcome upheld --rationale "correct" >/dev/null
path "dispute upheld" "$id"

id=$(new 8 700.00 900.00 goodwill)
run escalate "$id" --actor agent:ann --reason "VIP customer" >/dev/null
path "escalated by hand (manager -> finance)" "$id"
id=$(new 9 700.00 900.00 goodwill)
run sla sweep --now "$(date -u -d '+49 hours' +%FT%TZ)" >/dev/null
path "escalated by the SLA sweep (49 h later)" "$id"

id=$(new 10 60.00 100.00 billing_error)
run cancel "$id" --actor agent:ann --reason "customer withdrew" >/dev/null
path "cancelled" "$id"

id=$(new 11 100.00 200.00 change_of_mind)
run verify "$id" --actor verifier:vic --condition "unopened" >/dev/null
run approve "$id" --actor manager:mia >/dev/null
path "change of mind: 15% restocking fee" "$id"

for n in 12 13 14; do
  new "$n" 10.00 100.00 billing_error --address "1 Shared Street, $tag" >/dev/null
done
path "fraud flag (one address, many customers)" "$(new 15 10.00 100.00 billing_error \
  --address "1 shared street $tag")"

id=$(new 16 30.00 100.00 billing_error --idempotency-key "K-$tag")
again=$(new 16 30.00 100.00 billing_error --idempotency-key "K-$tag")
echo "idempotent replay returns the same refund:   $([ "$id" = "$again" ] && echo yes || echo NO)"
run request --order "O-$tag-16" --customer "C-$tag-16" --amount 80.00 --currency EUR \
  --order-total 100.00 --reason billing_error --actor agent:ann 2>&1 | sed 's/^/per-order cap: /' || true
