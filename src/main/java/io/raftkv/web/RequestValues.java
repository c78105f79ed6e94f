package io.raftkv.web;

import jakarta.servlet.http.HttpServletRequest;

import java.util.Enumeration;
import java.util.StringJoiner;

/**
 * Headers and query parameters of the hot {@code /kv/{key}} handlers, read as Spring MVC's
 * {@code @RequestHeader} and {@code @RequestParam} read an optional {@code String} (absent is null,
 * repeated values are joined with commas), without the data binder those build for every argument
 * of every request: under put load a tenth of what the client threads allocated.
 */
final class RequestValues {
    private RequestValues() {
    }

    static String header(HttpServletRequest req, String name) {
        Enumeration<String> values = req.getHeaders(name);
        if (values == null || !values.hasMoreElements()) {
            return null;
        }
        String first = values.nextElement();
        if (!values.hasMoreElements()) {
            return first;
        }
        StringJoiner all = new StringJoiner(",").add(first);
        while (values.hasMoreElements()) {
            all.add(values.nextElement());
        }
        return all.toString();
    }

    static String param(HttpServletRequest req, String name) {
        String[] values = req.getParameterValues(name);
        return values == null ? null : String.join(",", values);
    }
}
