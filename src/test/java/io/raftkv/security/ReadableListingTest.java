package io.raftkv.security;

import io.raftkv.kv.Access;
import io.raftkv.kv.AuthCommand;
import io.raftkv.kv.KeyValue;
import io.raftkv.kv.KvCommand;
import io.raftkv.kv.KvStateMachine;
import io.raftkv.kv.Page;
import io.raftkv.kv.Permission;
import io.raftkv.kv.Precondition;
import io.raftkv.kv.Role;
import io.raftkv.kv.TokenGrant;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** Filtered listing against a brute-force model: the same keys, in the same order, for every page size. */
class ReadableListingTest {

    @Test
    void pagingVisitsEveryReadableKeyOnceInOrder() {
        Random rnd = new Random(7);
        String[] parts = {"a", "ap", "app", "app/", "b", "é", "😀", "/", "z"};
        for (int round = 0; round < 60; round++) {
            KvStateMachine sm = new KvStateMachine();
            long index = 1;
            for (int i = 0; i < 80; i++) {
                String key = parts[rnd.nextInt(parts.length)] + parts[rnd.nextInt(parts.length)] + (rnd.nextBoolean() ? "" : parts[rnd.nextInt(parts.length)]);
                sm.apply(index++, new KvCommand.Put(key, new byte[]{1}, null, Precondition.NONE, null, 0));
            }
            List<Permission> perms = new ArrayList<>();
            for (int i = rnd.nextInt(4); i > 0; i--) {
                perms.add(new Permission(rnd.nextInt(5) == 0 ? "" : parts[rnd.nextInt(parts.length)]
                        + (rnd.nextBoolean() ? "" : parts[rnd.nextInt(parts.length)]), Access.values()[rnd.nextInt(3)]));
            }
            sm.apply(index++, new AuthCommand.PutRole(new Role("r", perms)));
            sm.apply(index++, new AuthCommand.PutToken("t", new byte[32], List.of("r")));
            TokenGrant grant = sm.auth().grantForHash(new byte[32]).orElseThrow();
            Caller caller = Caller.of(grant, new byte[32]);
            String prefix = rnd.nextBoolean() ? "" : parts[rnd.nextInt(parts.length)];

            List<String> expected = new ArrayList<>();
            for (KeyValue kv : sm.list(prefix, null, 10_000).items()) {
                if (grant.canRead(kv.key())) {
                    expected.add(kv.key());
                }
            }
            for (int limit : new int[]{1, 2, 3, 7, 1000}) {
                List<String> seen = new ArrayList<>();
                String after = null;
                for (int pages = 0; pages < 200; pages++) {
                    Page page = caller.list(sm, prefix, after, limit);
                    assertThat(page.items().size()).isLessThanOrEqualTo(limit);
                    page.items().forEach(kv -> seen.add(kv.key()));
                    after = page.nextStartAfter();
                    if (after == null) {
                        break;
                    }
                    assertThat(page.items()).as("a cursor only with a full page").hasSize(limit);
                }
                assertThat(seen).as("perms %s prefix '%s' limit %d", perms, prefix, limit).isEqualTo(expected);
            }
        }
    }
}
