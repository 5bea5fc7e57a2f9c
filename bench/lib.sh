# Shared by the bench scripts: wait for the server, and sign in over HTTP as a demo user.
# Needs PORT set; BIN (the steward binary) for a user with a second factor.

wait_up() { for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && return 0; sleep 0.2; done; return 1; }

# sign_in EMAIL: prints the Cookie header value of a signed-in session (with the second
# factor from `steward user totp-code` when the account asks for one).
sign_in() {
    local email=$1 jar csrf
    jar=$(mktemp)
    curl -s -c "$jar" -b "$jar" "http://127.0.0.1:$PORT/sign-in" >/dev/null
    csrf=$(awk '$6=="steward_csrf"{print $7}' "$jar")
    local next
    next=$(curl -s -c "$jar" -b "$jar" -o /dev/null -w '%{redirect_url}' \
        --data-urlencode "csrf=$csrf" --data-urlencode "email=$email" \
        --data-urlencode "password=demo-password-2026" "http://127.0.0.1:$PORT/sign-in")
    if [[ "$next" == */sign-in/code ]]; then
        local code
        code=$("$BIN" user totp-code "$email" | tail -n1)
        curl -s -c "$jar" -b "$jar" -o /dev/null --data-urlencode "csrf=$csrf" \
            --data-urlencode "code=$code" "http://127.0.0.1:$PORT/sign-in/code"
    fi
    echo "steward_session=$(awk '$6=="steward_session"{print $7}' "$jar"); steward_csrf=$csrf"
    rm -f "$jar"
}
