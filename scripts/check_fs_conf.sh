#!/usr/bin/env bash
# Check freeswitch-conf/ (design §8) with frslint 0.1.0 in its own venv (never the project's .venv):
#   1. every *.xml is well-formed (frslint analyze does not notice a broken included file);
#   2. `frslint analyze`: undefined variables, invalid regexes, dialplan errors;
#   3. `frslint lint`: style. The directory's dial-string is one attribute that cannot be wrapped, so
#      the line limit is raised to 270 characters.
# The config is checked twice: as shipped (CHANGE_ME secrets) and after bin/careline-fs-preflight has
# written env/careline.xml (and env/verto-mcast.xml) from sample values, so the generated includes are
# checked too.
# Exits non-zero on any error.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
venv=${FRSLINT_VENV:-$root/.venv-frslint}
conf=$root/freeswitch-conf

if [ ! -x "$venv/bin/frslint" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "frslint==0.1.0"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$conf" "$work/shipped"
cp -r "$conf" "$work/rendered"
rm -f "$work/shipped/env/"*.xml "$work/rendered/env/"*.xml

CARELINE_FS_CONF_DIR="$work/rendered" \
  CARELINE_FS_ESL_PASSWORD=check-esl-secret \
  CARELINE_FS_AGENT_PASSWORD=check-agent-secret \
  CARELINE_FS_EXPERT_PASSWORD=check-expert-secret \
  CARELINE_FS_SUPERVISOR_PASSWORD=check-supervisor-secret \
  CARELINE_FS_ESL_PASSWORD_ACD=check-acd-secret \
  CARELINE_FS_JSON_CDR_CREDENTIALS=json_cdr:check-json-cdr-secret \
  CARELINE_FS_SIP_IP=192.0.2.10 CARELINE_FS_RTP_IP=192.0.2.10 CARELINE_FS_VERTO_IP=192.0.2.10 \
  CARELINE_FS_ESL_LISTEN_IP=192.0.2.10 CARELINE_FS_VERTO_MCAST_IP=224.1.1.1 \
  sh "$conf/bin/careline-fs-preflight"

status=0
for tree in shipped rendered; do
  echo "== $tree: well-formed XML"
  "$venv/bin/python" - "$work/$tree" <<'PY' || status=1
import pathlib, sys
import xml.etree.ElementTree as ET
bad = 0
for path in sorted(pathlib.Path(sys.argv[1]).rglob("*.xml")):
    try:
        ET.parse(path)
    except ET.ParseError as exc:
        print(f"{path}: {exc}")
        bad += 1
sys.exit(1 if bad else 0)
PY
  echo "== $tree: frslint analyze"
  "$venv/bin/frslint" analyze "$work/$tree/freeswitch.xml" || status=1
  echo "== $tree: frslint lint"
  "$venv/bin/frslint" lint --max-line-length 270 "$work/$tree/freeswitch.xml" || status=1
done
exit $status
