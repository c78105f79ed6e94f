package io.raftkv.security;

import io.raftkv.config.RaftKvProperties;
import io.raftkv.node.RaftKvNode;
import jakarta.servlet.DispatcherType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpMethod;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configuration.WebSecurityCustomizer;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.config.observation.SecurityObservationSettings;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.access.intercept.AuthorizationFilter;
import org.springframework.security.web.firewall.FirewalledRequest;
import org.springframework.security.web.firewall.HttpFirewall;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * Client authentication and authorization: one stateless chain, bearer tokens only (no sessions,
 * no CSRF, no form or basic login, no generated password).
 *
 * <ul>
 *   <li>Open: the probes {@code /actuator/health}, {@code /actuator/health/liveness} and
 *       {@code /actuator/health/readiness} (status only without a token, details with one).</li>
 *   <li>Root token only: {@code /auth/**} and membership changes ({@code POST}/{@code DELETE} under
 *       {@code /cluster/members}, {@code PUT /cluster/size}), checked here and again in the handler, and {@code /snapshot}
 *       (a backup holds every key and the token hashes).</li>
 *   <li>Any valid token, root or replicated, with any roles or none: {@code /cluster},
 *       {@code /actuator/**} ({@code prometheus}, {@code metrics}, {@code info}, health details) and
 *       {@code /kv}, where the handler then checks the key: read for GET and listing (which shows only
 *       readable keys), write for PUT and DELETE; {@code /txn} (read for compared and read keys,
 *       write for written ones), {@code /watch} (a key watch needs read; a prefix watch shows only
 *       readable keys) and {@code /leases} (revoking needs write on the lease's keys).</li>
 * </ul>
 * With {@code raftkv.auth.root-token} empty, every request is allowed as before.
 */
@Configuration(proxyBeanMethods = false)
class SecurityConfiguration {
    private static final Logger log = LoggerFactory.getLogger(SecurityConfiguration.class);

    @Bean
    SecurityFilterChain clientSecurity(HttpSecurity http, RaftKvProperties props, RaftKvNode node, DeniedRequests denied)
            throws Exception {
        SecurityProblems problems = new SecurityProblems(denied);
        RootToken root = props.auth().enabled() ? new RootToken(props.auth().rootToken()) : null;
        if (root == null) {
            log.warn("client authentication is off (raftkv.auth.root-token is empty): anyone who reaches the client "
                    + "port may read and write every key");
        } else {
            log.info("client authentication is on: requests need 'Authorization: Bearer <token>'");
        }
        http
                .csrf(c -> c.disable())
                .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .formLogin(f -> f.disable())
                .httpBasic(b -> b.disable())
                .logout(l -> l.disable())
                .requestCache(r -> r.disable())
                // Values carry ETags for conditional GETs; "no-store" would make them useless. Shared
                // caches never store answers to requests with an Authorization header anyway.
                .headers(h -> h.cacheControl(c -> c.disable()))
                .exceptionHandling(e -> e.authenticationEntryPoint(problems).accessDeniedHandler(problems))
                .addFilterBefore(new BearerTokenFilter(root, () -> node.stateMachine().auth(), problems), AuthorizationFilter.class)
                .authorizeHttpRequests(a -> {
                    if (root == null) {
                        a.anyRequest().permitAll();
                        return;
                    }
                    a.dispatcherTypeMatchers(DispatcherType.ASYNC, DispatcherType.ERROR).permitAll()
                            .requestMatchers("/actuator/health", "/actuator/health/liveness", "/actuator/health/readiness").permitAll()
                            .requestMatchers("/auth", "/auth/**", "/snapshot").hasAuthority(CallerAuthentication.ROOT_AUTHORITY)
                            .requestMatchers(HttpMethod.POST, "/cluster/members", "/cluster/members/**")
                            .hasAuthority(CallerAuthentication.ROOT_AUTHORITY)
                            .requestMatchers(HttpMethod.DELETE, "/cluster/members/**").hasAuthority(CallerAuthentication.ROOT_AUTHORITY)
                            .requestMatchers(HttpMethod.PUT, "/cluster/size").hasAuthority(CallerAuthentication.ROOT_AUTHORITY)
                            .anyRequest().authenticated();
                });
        return http.build();
    }

    /**
     * No observation of the chain at all. Disabling the observations by name
     * ({@code management.observations.enable.spring.security=false}) only made each one a no-op: the
     * chain still wrapped every one of its filters in an observing decorator, twice per asynchronous
     * request, and under load on the leader a profile put about a tenth of the client threads' time in
     * that wrapping. {@code raftkv_auth_denied_total} counts what matters (refusals, by reason).
     */
    @Bean
    SecurityObservationSettings noSecurityObservations() {
        return SecurityObservationSettings.noObservations();
    }

    /**
     * Keys are arbitrary bytes in the raw path ({@code %2F}, {@code %25}, {@code ;}, {@code //} are all
     * part of keys), so Spring Security's strict firewall, which rejects such paths, cannot stand in
     * front of {@code /kv}. Nothing here depends on path tricks: the open paths are exact matches on
     * the same parsed path Spring MVC dispatches with, {@code /auth} is checked again in its handler,
     * and key permissions are checked on the key the handler itself decodes.
     */
    @Bean
    WebSecurityCustomizer keysAreRawPaths() {
        HttpFirewall passThrough = new HttpFirewall() {
            @Override
            public FirewalledRequest getFirewalledRequest(HttpServletRequest request) {
                return new FirewalledRequest(request) {
                    @Override
                    public void reset() {
                    }
                };
            }

            @Override
            public HttpServletResponse getFirewalledResponse(HttpServletResponse response) {
                return response;
            }
        };
        return web -> web.httpFirewall(passThrough);
    }
}
