package io.raftkv.config;

import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

import java.util.Map;

/** Binds a properties type from variables as if they were the process environment (as the Helm chart sets them). */
public final class EnvironmentBinding {
    private EnvironmentBinding() {
    }

    public static <T> T bind(String prefix, Class<T> type, Map<String, Object> env) {
        StandardEnvironment environment = new StandardEnvironment();
        // Spring maps RAFTKV_X_Y names only for the source that is the system environment.
        environment.getPropertySources().replace(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                new SystemEnvironmentPropertySource(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, env));
        return Binder.get(environment).bindOrCreate(prefix, type);
    }
}
