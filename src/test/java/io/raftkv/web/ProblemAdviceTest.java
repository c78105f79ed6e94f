package io.raftkv.web;

import org.apache.tomcat.util.http.InvalidParameterException;
import org.junit.jupiter.api.Test;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.setup.MockMvcBuilders;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

import java.io.EOFException;

import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

/** What {@link ProblemAdvice} makes of exceptions that are the client's fault, and of real bugs. */
class ProblemAdviceTest {

    @RestController
    static class Throwing {
        @GetMapping("/query")
        String query() {
            // What Tomcat throws from getParameter for ?prefix=%ff
            throw new InvalidParameterException("Character decoding failed. Parameter [prefix] with value [?] has been ignored.", 400);
        }

        @GetMapping("/body")
        String body() throws EOFException {
            throw new EOFException("Unexpected EOF read on the socket");
        }

        @GetMapping("/bug")
        String bug() {
            throw new IllegalStateException("a bug");
        }
    }

    private final MockMvc mvc = MockMvcBuilders.standaloneSetup(new Throwing()).setControllerAdvice(new ProblemAdvice()).build();

    @Test
    void anUndecodableQueryIsABadRequestNotAServerError() throws Exception {
        mvc.perform(get("/query")).andExpect(status().isBadRequest())
                .andExpect(content().contentTypeCompatibleWith("application/problem+json"))
                .andExpect(jsonPath("$.type").value(Problems.TYPE_BASE + "bad-query"))
                .andExpect(jsonPath("$.detail").value(org.hamcrest.Matchers.containsString("%XX")));
    }

    @Test
    void aBodyThatEndsEarlyIsABadRequest() throws Exception {
        mvc.perform(get("/body")).andExpect(status().isBadRequest())
                .andExpect(content().contentTypeCompatibleWith("application/problem+json"))
                .andExpect(jsonPath("$.type").value(Problems.TYPE_BASE + "incomplete-body"));
    }

    @Test
    void aRealBugIsStillA500ThatSaysTheOutcomeIsUnknown() throws Exception {
        mvc.perform(get("/bug")).andExpect(status().isInternalServerError())
                .andExpect(content().contentTypeCompatibleWith("application/problem+json"))
                .andExpect(jsonPath("$.detail").value(org.hamcrest.Matchers.containsString("nothing is known")));
    }
}
