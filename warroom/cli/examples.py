"""`warroom examples`: a worked alert hook, the one README's "Scripts and alert hooks" shows."""

from __future__ import annotations

ALERT_HOOK = r"""#!/bin/sh
# An alert hook: the monitoring system runs it with the alert as JSON on standard input,
# on every firing and when the alert recovers. Needs jq. warroom's exit codes: 0 done,
# 1 bad input, 2 bad usage, 3 refused by a rule, 4 no such incident.
set -eu
payload=$(cat)
key=$(printf '%s' "$payload" | jq -r '.fingerprint')        # stable per alert
title=$(printf '%s' "$payload" | jq -r '.labels.alertname')
severity=$(printf '%s' "$payload" | jq -r '.labels.severity // "P2"')
started=$(printf '%s' "$payload" | jq -r '.startsAt')       # e.g. 2026-11-22T14:02:00Z
state=$(printf '%s' "$payload" | jq -r '.status')           # firing or resolved

# Every firing declares with the alert's key: the first declares an incident, a repeat
# prints the open incident's id and records "Alert repeated" on its timeline. Either way,
# the id of the incident for this alert.
id=$(warroom declare --title "$title" --severity "$severity" --started "$started" \
    --detected "$started" --dedupe-key "$key")

if [ "$state" = firing ]; then
    warroom update "$id" --elsewhere "alert channel" --audience on-call
else
    ended=$(printf '%s' "$payload" | jq -r '.endsAt')
    warroom note "$id" "Alert recovered" --at "$ended"
    # a lifecycle rule may refuse the move (exit 3): a person then decides
    warroom resolve "$id" --reason "alert recovered" --at "$ended" || [ $? -eq 3 ]
fi
"""

TEXT = ALERT_HOOK
