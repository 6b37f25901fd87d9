#!/bin/sh
# Start several rooms on one PostgreSQL store, one `actionlab serve` process per room, for
# nginx to put behind one address (deploy/nginx/actionlab-rooms.conf; docs/deployment.md).
#
#   ACTIONLAB_DB=postgresql+psycopg://actionlab@127.0.0.1:5432/actionlab \
#   ACTIONLAB_PUBLIC_URL=https://rooms.example.org/ \
#   deploy/rooms.sh 5
#
# Room i serves /room<i>/ on 127.0.0.1, port 8870+i (8871 … 8875), and writes its log to
# rooms-logs/room<i>.log. Each process runs
#
#   actionlab serve --base-url /room<i>/ --port 887<i> --public-url "$ACTIONLAB_PUBLIC_URL"
#
# with the store from ACTIONLAB_DB (the same as --db, but a password in it stays out of `ps`).
# All rooms share one facilitator key: ACTIONLAB_KEY, or a new one printed at the start. (The
# store keeps the five newest keys; a key per room would push the oldest room's key out when a
# sixth process starts.) Room 1 starts first and brings the schema up to date; the others start
# once it has. Ctrl-C stops every room.
#
# Settings (environment):
#   ACTIONLAB_DB           the PostgreSQL URL (required)
#   ACTIONLAB_PUBLIC_URL   the address nginx answers at (required)
#   ACTIONLAB_KEY          the facilitator key (default: a new random key)
#   ACTIONLAB_FIRST_PORT   port of room 1 (default 8871)
#   ACTIONLAB_LOG_DIR      folder for the logs (default ./rooms-logs)
#   ACTIONLAB_BIN          the actionlab command (default: actionlab on PATH)
#   ACTIONLAB_MAX_KERNELS  … and every other ACTIONLAB_* setting reach each room as they are
#   ACTIONLAB_ROOMS_DRY_RUN=1   print the commands instead of running them
set -eu

ROOMS=${1:-5}
FIRST_PORT=${ACTIONLAB_FIRST_PORT:-8871}
LOG_DIR=${ACTIONLAB_LOG_DIR:-./rooms-logs}
ACTIONLAB=${ACTIONLAB_BIN:-actionlab}

fail() {
    echo "rooms.sh: $*" >&2
    exit 2
}

case $ROOMS in
    '' | *[!0-9]*) fail "the number of rooms must be a number, not '$ROOMS'" ;;
esac
[ "$ROOMS" -ge 1 ] && [ "$ROOMS" -le 50 ] || fail "between 1 and 50 rooms, not $ROOMS"
case $FIRST_PORT in
    '' | *[!0-9]*) fail "ACTIONLAB_FIRST_PORT must be a port number, not '$FIRST_PORT'" ;;
esac
: "${ACTIONLAB_DB:?set ACTIONLAB_DB to the PostgreSQL URL, e.g. postgresql+psycopg://actionlab@127.0.0.1/actionlab}"
: "${ACTIONLAB_PUBLIC_URL:?set ACTIONLAB_PUBLIC_URL to the address nginx answers at, e.g. https://rooms.example.org/}"
case $ACTIONLAB_DB in
    postgresql*) ;;
    *) fail "several rooms share one PostgreSQL store; ACTIONLAB_DB is not a postgresql URL" ;;
esac
export ACTIONLAB_DB ACTIONLAB_PUBLIC_URL

DRY_RUN=${ACTIONLAB_ROOMS_DRY_RUN:-}

room() {  # room I: start room I in the background (its log in LOG_DIR/roomI.log), or print it
    log="$LOG_DIR/room$1.log"
    set -- "$ACTIONLAB" serve --base-url "/room$1/" --port "$((FIRST_PORT + $1 - 1))" \
        --public-url "$ACTIONLAB_PUBLIC_URL"
    if [ "$DRY_RUN" = 1 ]; then
        echo "$@"
        return
    fi
    "$@" >"$log" 2>&1 &
    PIDS="$PIDS $!"
}

if [ "$DRY_RUN" = 1 ]; then
    i=1
    while [ "$i" -le "$ROOMS" ]; do
        room "$i"
        i=$((i + 1))
    done
    exit 0
fi

if [ -z "${ACTIONLAB_KEY:-}" ]; then
    ACTIONLAB_KEY=$(od -An -N18 -tx1 /dev/urandom | tr -d ' \n')
    echo "Facilitator key (every room): $ACTIONLAB_KEY"
fi
export ACTIONLAB_KEY
mkdir -p "$LOG_DIR"

PIDS=""
stop_rooms() {
    trap - INT TERM EXIT
    [ -n "$PIDS" ] && kill $PIDS 2>/dev/null || true
    wait
}
trap 'stop_rooms; exit 130' INT TERM
trap stop_rooms EXIT

# Room 1 alone first: it migrates the store and stores the key; `serve` prints "Stop with
# Ctrl-C" once both are done, just before Voila starts.
room 1
waited=0
until grep -q "Stop with Ctrl-C" "$LOG_DIR/room1.log" 2>/dev/null; do
    kill -0 $PIDS 2>/dev/null || fail "room 1 stopped; see $LOG_DIR/room1.log"
    [ "$waited" -lt 300 ] || fail "room 1 did not start within 60 s; see $LOG_DIR/room1.log"
    sleep 0.2
    waited=$((waited + 1))
done

i=2
while [ "$i" -le "$ROOMS" ]; do
    room "$i"
    i=$((i + 1))
done
i=1
while [ "$i" -le "$ROOMS" ]; do
    echo "room $i: ${ACTIONLAB_PUBLIC_URL%/}/room$i/voila/render/console.ipynb?key=$ACTIONLAB_KEY" \
        "(port $((FIRST_PORT + i - 1)), log $LOG_DIR/room$i.log)"
    i=$((i + 1))
done
echo "Ctrl-C stops every room."
wait
