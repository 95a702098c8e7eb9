#!/usr/bin/env bash
# What `make lab` leaves running, and how to use it: who holds the VIP, the
# URLs, where the generated credentials are, the alert mails the relay took.
# The names and addresses are those of inventories/lab/hosts.yml.
set -u
VIP=172.30.70.100
LBS=(halb-lab-lb1 halb-lab-lb2)
RELAY=halb-lab-smtp
SECRETS=build/lab

holders() {
    local c
    for c in "${LBS[@]}"; do
        if docker exec "$c" ip -o -4 addr show 2>/dev/null | grep -qF " $VIP/"; then
            echo -n "$c "
        fi
    done
}

# VRRP needs a few adverts to elect a MASTER: wait up to 15 s for one.
holder=""
for _ in $(seq 1 15); do
    holder=$(holders)
    [ -n "$holder" ] && break
    sleep 1
done

cat <<TEXT

The lab is up: network halb-lab (172.30.70.0/24); this machine is 172.30.70.1 on it.
  load balancers  halb-lab-lb1 172.30.70.11 (MASTER by priority), halb-lab-lb2 172.30.70.12
  web servers     halb-lab-web1 172.30.70.21:8000, halb-lab-web2 172.30.70.22:8000
  SMTP relay      halb-lab-smtp 172.30.70.30:587 (STARTTLS, AUTH)

VIP $VIP is held by: ${holder:-nobody (is keepalived running? docker exec halb-lab-lb1 journalctl -u keepalived -n 20)}

Try:
  curl http://$VIP/                 (web1 and web2 in turn)
  curl -k https://$VIP/             (a self-signed certificate)
  curl -u admin:\$(cat $SECRETS/stats-password) http://$VIP:8404/stats
                                    (the stats page; its password, the VRRP and
                                    relay passwords and the lab CA are in $SECRETS/)
Fail over:
  make lab-drill FAULT=stop_haproxy (or kill_haproxy, stop_keepalived, kill_keepalived):
                                    injects the fault on the holder, measures the
                                    outage, restores the node, checks the alert left
  docker exec ${holder%% *} systemctl stop haproxy    (and start it again)
  docker pause ${holder%% *}                          (node loss; docker unpause)
Logs:
  docker exec halb-lab-lb1 tail /var/log/haproxy/info.log
  docker exec halb-lab-lb1 journalctl -u keepalived -n 20
TEXT

echo "Alert mails the relay accepted (newest last; all of them: docker exec $RELAY cat /var/lib/halb-relay/messages.jsonl):"
docker exec "$RELAY" python3 -c '
import email, email.policy, json
try:
    lines = open("/var/lib/halb-relay/messages.jsonl").read().splitlines()
except FileNotFoundError:
    lines = []
for line in lines[-8:]:
    record = json.loads(line)
    mail = email.message_from_string(record["data"], policy=email.policy.default)
    print("  ", mail["Date"], "|", mail["Subject"])
if not lines:
    print("   none yet")
' 2>/dev/null || echo "   (the relay container does not answer)"
echo
echo "Down: make lab-down"
