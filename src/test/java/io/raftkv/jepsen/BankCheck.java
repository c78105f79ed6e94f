package io.raftkv.jepsen;

import io.raftkv.cluster.ClusterUnderTest;
import io.raftkv.jepsen.BankAnalysis.Answer;
import io.raftkv.jepsen.BankAnalysis.Outcome;
import io.raftkv.jepsen.BankAnalysis.State;
import io.raftkv.jepsen.BankAnalysis.Transfer;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Issue 13's check (c): five accounts of 100; five clients (one per node to start with) read two
 * accounts and move an amount between them with {@code POST /txn}, on the condition that neither
 * changed since (modRevision), writing a ledger key for the transfer in the same transaction, with an
 * Idempotency-Key that every retry reuses (and one transfer in ten is sent again at once, as after a
 * lost answer); two readers read all accounts in one transaction, or list them linearizably, while
 * the schedule's faults run. After the heal up to {@link #RESENT_AFTER_HEAL} more acknowledged
 * transfers are sent again and must change nothing; {@link BankAnalysis} judges.
 */
final class BankCheck {
    static final int ACCOUNTS = 5;
    static final long OPENING = 100;
    /** Acknowledged transfers sent again after the heal (beside the tenth resent at once): enough to see, few enough to be quick. */
    static final int RESENT_AFTER_HEAL = 200;
    private static final JsonMapper JSON = JsonMapper.builder().build();

    record Result(List<String> violations, int applied, int refused, int unknown, int reads, List<String> faults) {
        @Override
        public String toString() {
            return String.format("%d transfers applied, %d refused, %d unknown; %d reads of all accounts; faults %s",
                    applied, refused, unknown, reads, faults);
        }
    }

    private final String prefix;
    private final List<Transfer> transfers = Collections.synchronizedList(new ArrayList<>());
    private final List<BankAnalysis.Read> reads = Collections.synchronizedList(new ArrayList<>());
    /** Each transfer's request body, to send it again unchanged. */
    private final Map<String, String> bodies = new ConcurrentHashMap<>();

    private BankCheck(String prefix) {
        this.prefix = prefix;
    }

    static Result run(ClusterUnderTest cluster, Schedule schedule, long seed) {
        return new BankCheck(schedule.name() + "/").go(cluster, schedule, seed);
    }

    private Result go(ClusterUnderTest cluster, Schedule schedule, long seed) {
        Map<String, URI> nodes = Faults.nodes(cluster);
        History history = new History();
        Random random = new Random(seed);
        CoordHttp admin = new CoordHttp(nodes, history, 0, random.nextLong(), Duration.ofSeconds(5));
        StringBuilder open = new StringBuilder();
        for (int i = 0; i < ACCOUNTS; i++) {
            open.append(i == 0 ? "" : ",").append(put(account(i), Long.toString(OPENING)));
        }
        CoordHttp.Call opened = admin.call("POST", "/txn", "{\"compare\":[],\"success\":[" + open + "],\"failure\":[]}",
                Map.of("Idempotency-Key", prefix + "open"), s -> s == 200, Duration.ofSeconds(30));
        if (!opened.ok()) {
            throw new IllegalStateException("opening the accounts failed: " + opened.attempts());
        }
        long r0 = opened.settled().revision();
        long[] balances = new long[ACCOUNTS];
        long[] mods = new long[ACCOUNTS];
        Arrays.fill(balances, OPENING);
        Arrays.fill(mods, r0);
        State initial = new State(r0, balances, mods);

        long loadEnd = schedule.load().toNanos();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < 5; c++) {
            CoordHttp http = new CoordHttp(nodes, history, c, random.nextLong(), Duration.ofMillis(1500));
            long s = random.nextLong();
            int client = c;
            threads.add(WatchCheck.daemon(() -> transfer(http, client, history, loadEnd, new Random(s)), "bank-client-" + c));
        }
        for (int c = 0; c < 2; c++) {
            CoordHttp http = new CoordHttp(nodes, history, c + 5, random.nextLong(), Duration.ofMillis(1500));
            int reader = c;
            threads.add(WatchCheck.daemon(() -> {
                for (int i = 0; history.now() < loadEnd; i++) {
                    read(http, i % 3 == reader);
                    CoordHttp.sleep(50);
                }
            }, "bank-reader-" + c));
        }
        try (Faults faults = new Faults(cluster, schedule, history, random.nextLong())) {
            threads.forEach(Thread::start);
            threads.forEach(WatchCheck::join);
            faults.healAndAwait();
            State before = read(admin, false);
            List<Transfer> all = new ArrayList<>();
            int resent = 0;
            for (Transfer t : List.copyOf(transfers)) {
                boolean resend = t.outcome() != Outcome.UNKNOWN && t.again() == null && resent++ < RESENT_AFTER_HEAL;
                all.add(resend ? withAgain(t, again(admin, t)) : t);
            }
            State after = read(admin, false);
            if (before == null || after == null) {
                throw new IllegalStateException("the final reads of the accounts failed after the heal");
            }
            List<BankAnalysis.Read> allReads = List.copyOf(reads);
            List<BankAnalysis.Entry> ledger = ledger(admin);
            List<String> v = new ArrayList<>(BankAnalysis.check(initial, all, allReads, ledger));
            if (!before.sameAs(after)) {
                v.add("sending every acknowledged transfer again changed the accounts from " + before + " to " + after);
            }
            return new Result(v, count(all, Outcome.APPLIED), count(all, Outcome.REFUSED), count(all, Outcome.UNKNOWN),
                    allReads.size(), faults.events());
        }
    }

    private static int count(List<Transfer> ts, Outcome o) {
        return (int) ts.stream().filter(t -> t.outcome() == o).count();
    }

    private String account(int i) {
        return prefix + "acct/a" + i;
    }

    private static String put(String key, String value) {
        return "{\"op\":\"put\",\"key\":\"" + key + "\",\"value\":\"" + value + "\"}";
    }

    private static String get(String key) {
        return "{\"op\":\"get\",\"key\":\"" + key + "\"}";
    }

    private void transfer(CoordHttp http, int client, History history, long loadEnd, Random random) {
        int n = 0;
        while (history.now() < loadEnd) {
            int from = random.nextInt(ACCOUNTS);
            int to = (from + 1 + random.nextInt(ACCOUNTS - 1)) % ACCOUNTS;
            CoordHttp.Call look = http.call("POST", "/txn", "{\"compare\":[],\"success\":[" + get(account(from)) + ","
                    + get(account(to)) + "],\"failure\":[]}", Map.of(), s -> s == 200, Duration.ofSeconds(5));
            if (!look.ok()) {
                continue;
            }
            JsonNode seen = JSON.readTree(look.settled().body()).path("results");
            long balance = seen.get(0).path("value").asLong();
            long amount = 1 + random.nextInt((int) Math.max(1, Math.min(20, balance)));
            String id = "c" + client + "-" + (++n) + "-" + Long.toHexString(random.nextLong());
            Transfer t = new Transfer(id, from, to, amount, seen.get(0).path("modRevision").asLong(),
                    seen.get(1).path("modRevision").asLong(), 0, 0, Outcome.UNKNOWN, 0, null, null);
            CoordHttp.Call c = send(http, t, balance, seen.get(1).path("value").asLong());
            Transfer done = outcome(t, c);
            if (done.outcome() != Outcome.UNKNOWN && random.nextInt(10) == 0) {
                done = withAgain(done, again(http, done));
            }
            transfers.add(done);
        }
    }

    /** The transfer's transaction; the same body and Idempotency-Key every time it is sent. */
    private CoordHttp.Call send(CoordHttp http, Transfer t, long fromBalance, long toBalance) {
        String body = "{\"compare\":[" + modRevision(account(t.from()), t.expectFrom()) + "," + modRevision(account(t.to()), t.expectTo())
                + "],\"success\":[" + put(account(t.from()), Long.toString(fromBalance - t.amount())) + ","
                + put(account(t.to()), Long.toString(toBalance + t.amount())) + ","
                + put(prefix + "ledger/" + t.id(), t.from() + " " + t.to() + " " + t.amount())
                + "],\"failure\":[" + get(account(t.from())) + "," + get(account(t.to())) + "]}";
        bodies.put(t.id(), body);
        return http.call("POST", "/txn", body, Map.of("Idempotency-Key", t.id()), s -> s == 200, Duration.ofSeconds(10));
    }

    /** Sends a recorded transfer's very request again, as after a lost answer; null if it got no answer. */
    private Answer again(CoordHttp http, Transfer t) {
        CoordHttp.Call c = http.call("POST", "/txn", bodies.get(t.id()), Map.of("Idempotency-Key", t.id()), s -> s == 200, Duration.ofSeconds(10));
        if (!c.ok()) {
            return null;
        }
        JsonNode a = JSON.readTree(c.settled().body());
        return new Answer(a.path("succeeded").asBoolean(), a.path("revision").asLong());
    }

    private static String modRevision(String key, long revision) {
        return "{\"key\":\"" + key + "\",\"target\":\"modRevision\",\"op\":\"==\",\"value\":" + revision + "}";
    }

    private Transfer outcome(Transfer t, CoordHttp.Call c) {
        if (!c.ok()) {
            return new Transfer(t.id(), t.from(), t.to(), t.amount(), t.expectFrom(), t.expectTo(), c.sentAt(), c.answeredAt(),
                    Outcome.UNKNOWN, 0, null, null);
        }
        JsonNode a = JSON.readTree(c.settled().body());
        boolean ok = a.path("succeeded").asBoolean();
        State seen = null;
        if (!ok) {
            long[] b = new long[ACCOUNTS];
            long[] m = new long[ACCOUNTS];
            JsonNode results = a.path("results");
            b[t.from()] = results.get(0).path("value").asLong();
            m[t.from()] = results.get(0).path("modRevision").asLong();
            b[t.to()] = results.get(1).path("value").asLong();
            m[t.to()] = results.get(1).path("modRevision").asLong();
            seen = new State(a.path("revision").asLong(), b, m);
        }
        return new Transfer(t.id(), t.from(), t.to(), t.amount(), t.expectFrom(), t.expectTo(), c.sentAt(), c.settled().answeredAt(),
                ok ? Outcome.APPLIED : Outcome.REFUSED, a.path("revision").asLong(), seen, null);
    }

    private static Transfer withAgain(Transfer t, Answer again) {
        return new Transfer(t.id(), t.from(), t.to(), t.amount(), t.expectFrom(), t.expectTo(), t.sentAt(), t.answeredAt(),
                t.outcome(), t.revision(), t.seen(), again);
    }

    /** All accounts: in one transaction (with its revision), or as a linearizable listing; null without an answer. */
    private State read(CoordHttp http, boolean listing) {
        StringBuilder gets = new StringBuilder();
        for (int i = 0; i < ACCOUNTS; i++) {
            gets.append(i == 0 ? "" : ",").append(get(account(i)));
        }
        CoordHttp.Call c = listing
                ? http.call("GET", "/kv?values=true&prefix=" + URLEncoder.encode(prefix + "acct/", StandardCharsets.UTF_8), null, Map.of(),
                        s -> s == 200, Duration.ofSeconds(5))
                : http.call("POST", "/txn", "{\"compare\":[],\"success\":[" + gets + "],\"failure\":[]}", Map.of(), s -> s == 200,
                        Duration.ofSeconds(5));
        if (!c.ok()) {
            return null;
        }
        JsonNode body = JSON.readTree(c.settled().body());
        long[] b = new long[ACCOUNTS];
        long[] m = new long[ACCOUNTS];
        int i = 0;
        for (JsonNode item : body.path(listing ? "items" : "results")) {
            String value = item.path("value").asString();
            b[i] = Long.parseLong(listing ? new String(Base64.getDecoder().decode(value), StandardCharsets.UTF_8) : value);
            m[i++] = item.path("modRevision").asLong();
        }
        State state = new State(listing ? 0 : body.path("revision").asLong(), b, m);
        reads.add(new BankAnalysis.Read(c.settled().sentAt(), c.settled().answeredAt(), state));
        return state;
    }

    /** Every ledger entry, page by page: the run is over, so the pages see one state. */
    private List<BankAnalysis.Entry> ledger(CoordHttp http) {
        List<BankAnalysis.Entry> out = new ArrayList<>();
        String cursor = null;
        do {
            String path = "/kv?limit=1000&prefix=" + URLEncoder.encode(prefix + "ledger/", StandardCharsets.UTF_8)
                    + (cursor == null ? "" : "&cursor=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8));
            CoordHttp.Call c = http.call("GET", path, null, Map.of(), s -> s == 200, Duration.ofSeconds(30));
            if (!c.ok()) {
                throw new IllegalStateException("listing the ledger failed: " + c.attempts());
            }
            JsonNode body = JSON.readTree(c.settled().body());
            for (JsonNode item : body.path("items")) {
                out.add(new BankAnalysis.Entry(item.path("key").asString().substring((prefix + "ledger/").length()),
                        item.path("modRevision").asLong(), item.path("version").asLong()));
            }
            JsonNode next = body.path("next");
            cursor = next.isNull() || next.isMissingNode() ? null : next.asString();
        } while (cursor != null);
        return out;
    }
}
