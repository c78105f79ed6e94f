package io.raftkv.members;

import java.util.Comparator;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** StatefulSet ordinals in member names ({@code raftkv-3} is ordinal 3) and the orders built on them. */
final class MemberNames {
    private static final Pattern ORDINAL = Pattern.compile(".*-(\\d{1,9})");

    private MemberNames() {
    }

    static OptionalInt ordinal(String name) {
        Matcher m = ORDINAL.matcher(name);
        return m.matches() ? OptionalInt.of(Integer.parseInt(m.group(1))) : OptionalInt.empty();
    }

    /**
     * A name the desired size asks for: an ordinal below it, or no ordinal at all (a member added
     * by hand, which only scale-down may take away). Without a desired size every name is wanted.
     */
    static boolean wanted(String name, OptionalInt desiredSize) {
        OptionalInt ordinal = ordinal(name);
        return desiredSize.isEmpty() || ordinal.isEmpty() || ordinal.getAsInt() < desiredSize.getAsInt();
    }

    /** Lowest ordinal first, names without an ordinal after them (by name): the order of promotion. */
    static final Comparator<Member> PROMOTION = Comparator
            .comparing((Member m) -> ordinal(m.name()).isEmpty())
            .thenComparingInt(m -> ordinal(m.name()).orElse(0))
            .thenComparing(Member::name)
            .thenComparing(Member::id);

    /** Highest ordinal first, names without an ordinal last (by name, last first): the order of scale-down. */
    static final Comparator<Member> REMOVAL = Comparator
            .comparing((Member m) -> ordinal(m.name()).isEmpty())
            .thenComparing(Comparator.comparingInt((Member m) -> ordinal(m.name()).orElse(0)).reversed())
            .thenComparing(Comparator.comparing(Member::name).reversed())
            .thenComparing(Member::id);
}
