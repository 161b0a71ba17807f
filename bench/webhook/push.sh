# Shared by bench/webhook/run and bench/webhook/instructions: the signed push they flood with,
# a repository for the runs it queues, turnout's agent.yml, and one push sent by hand.
# shellcheck shell=bash

# WORK: writes WORK/webhook-secret, a repository at WORK/remote.git whose pipeline is one step;
# sets payload, secret, signature (of the payload with that secret), repo_name and ref.
make_push_bench() {
  payload="$bench_root/tests/fixtures/webhooks/github/push/woodpecker__push-main.json"
  secret=$(openssl rand -hex 20)
  printf '%s' "$secret" > "$1/webhook-secret"
  signature="sha256=$(openssl dgst -sha256 -hmac "$secret" -r < "$payload" | cut -d' ' -f1)"
  repo_name=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["repository"]["full_name"])' "$payload")
  ref=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["ref"])' "$payload")
  git init -q -b main "$1/source"
  printf 'name: webhook-bench\nstages:\n  - name: build\n    steps:\n      - run: "true"\n' \
    > "$1/source/.turnout.yml"
  git -C "$1/source" add .turnout.yml
  git -C "$1/source" -c user.name=bench -c user.email=bench@localhost commit -q -m pipeline
  git clone -q --bare "$1/source" "$1/remote.git"
}

# PORT WORK: turnout's agent.yml for the push (one worker), on stdout; the store in WORK/data.
push_agent_yml() {
  cat <<YML
listen: 127.0.0.1:$1
data_dir: $2/data
workers: 1
webhook_secret_file: $2/webhook-secret
repos:
  - name: $repo_name
    url: $2/remote.git
    branches: [main]
YML
}

# URL SIGNATURE: the status of one push signed so, with a delivery id of its own.
answer() {
  curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -H 'X-GitHub-Event: push' \
    -H "X-GitHub-Delivery: $(python3 -c 'import uuid; print(uuid.uuid4())')" -H "X-Hub-Signature-256: $2" \
    --data-binary "@$payload" "$1"
}
