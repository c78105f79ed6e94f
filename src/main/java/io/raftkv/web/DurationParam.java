package io.raftkv.web;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as clients write them in queries and bodies: a whole number and a unit, {@code 500ms}, {@code 30s}, {@code 2m}, {@code 1h}. */
final class DurationParam {
    private static final Pattern FORM = Pattern.compile("^([0-9]{1,9})(ms|s|m|h)$");

    private DurationParam() {
    }

    /** @throws BadRequestException naming {@code what} unless the text is a duration from {@code min} to {@code max} */
    static Duration parse(String text, String what, Duration min, Duration max) {
        Matcher m = text == null ? null : FORM.matcher(text);
        if (m == null || !m.matches()) {
            throw BadRequestException.badRequest("bad-duration", what + " must be a whole number with a unit (ms, s, m or h), e.g. 30s; got '" + text + "'");
        }
        long n = Long.parseLong(m.group(1));
        Duration d = switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofHours(n);
        };
        if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
            throw BadRequestException.badRequest("bad-duration", what + " must be from " + format(min) + " to " + format(max) + "; got '" + text + "'");
        }
        return d;
    }

    private static String format(Duration d) {
        return d.toMillis() % 1000 != 0 ? d.toMillis() + "ms" : d.toSeconds() + "s";
    }
}
