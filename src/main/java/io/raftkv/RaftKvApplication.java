package io.raftkv;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** A raftkv node: one member of a replicated key-value store. */
@SpringBootApplication
public class RaftKvApplication {
    public static void main(String[] args) {
        SpringApplication.run(RaftKvApplication.class, args);
    }
}
