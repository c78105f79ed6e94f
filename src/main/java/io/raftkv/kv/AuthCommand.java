package io.raftkv.kv;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * A change to the replicated roles and tokens, as it travels through the Raft log next to
 * {@link KvCommand}s. Tokens travel and are stored only as SHA-256 hashes; the secret never
 * reaches the log.
 *
 * <h2>Wire format</h2>
 * The first byte tells the families apart: a {@link KvCommand} starts with its format version (1),
 * an auth command with {@link #FORMAT_TAG} (0x81: the auth family, version 1), so log entries
 * written before auth existed decode exactly as before. Then, big-endian ({@link DataOutputStream}):
 * <pre>
 * u8 kind: 1 PutRole, 2 DeleteRole, 3 PutToken, 4 DeleteToken
 * PutRole:     string name, u16 n, n x (string prefix, u8 access: 1 read, 2 write, 3 readwrite)
 * DeleteRole:  string name
 * PutToken:    string name, 32 bytes SHA-256 of the secret, u16 n, n x string role
 * DeleteToken: string name
 * </pre>
 * {@code string} is a u16 length then UTF-8 ({@link DataOutputStream#writeUTF} is not used: it is not UTF-8).
 */
public sealed interface AuthCommand {
    byte FORMAT_TAG = (byte) 0x81;
    int HASH_BYTES = 32;

    /** Creates or replaces a role. */
    record PutRole(Role role) implements AuthCommand {
        public PutRole {
            Objects.requireNonNull(role, "role");
        }
    }

    /** Removes a role, and takes it away from every token that has it. */
    record DeleteRole(String name) implements AuthCommand {
        public DeleteRole {
            AuthNames.require(name, "role name");
        }
    }

    /** Creates a token, or replaces an existing one's secret and roles (rotation). */
    record PutToken(String name, byte[] hash, List<String> roles) implements AuthCommand {
        public PutToken {
            AuthNames.require(name, "token name");
            if (hash == null || hash.length != HASH_BYTES) {
                throw new IllegalArgumentException("a token hash is " + HASH_BYTES + " bytes");
            }
            hash = hash.clone();
            roles = List.copyOf(roles);
            if (roles.size() > AuthNames.MAX_ROLES_PER_TOKEN) {
                throw new IllegalArgumentException("a token has at most " + AuthNames.MAX_ROLES_PER_TOKEN + " roles");
            }
            roles.forEach(r -> AuthNames.require(r, "role name"));
        }

        @Override
        public byte[] hash() {
            return hash.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof PutToken t && t.name.equals(name) && Arrays.equals(t.hash, hash) && t.roles.equals(roles);
        }

        @Override
        public int hashCode() {
            return Objects.hash(name, Arrays.hashCode(hash), roles);
        }

        @Override
        public String toString() {
            return "PutToken[name=" + name + ", roles=" + roles + "]"; // never the hash
        }
    }

    /** Removes a token: its secret stops working on each node as soon as the node applies this. */
    record DeleteToken(String name) implements AuthCommand {
        public DeleteToken {
            AuthNames.require(name, "token name");
        }
    }

    /** Whether a log entry's data is an auth command rather than a {@link KvCommand}. */
    static boolean isAuthCommand(byte[] data) {
        return data != null && data.length > 0 && data[0] == FORMAT_TAG;
    }

    default byte[] encode() {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeByte(FORMAT_TAG);
            if (this instanceof PutRole p) {
                out.writeByte(1);
                string(out, p.role().name());
                out.writeShort(p.role().permissions().size());
                for (Permission perm : p.role().permissions()) {
                    string(out, perm.prefix());
                    out.writeByte(perm.access().ordinal() + 1);
                }
            } else if (this instanceof DeleteRole d) {
                out.writeByte(2);
                string(out, d.name());
            } else if (this instanceof PutToken t) {
                out.writeByte(3);
                string(out, t.name());
                out.write(t.hash);
                out.writeShort(t.roles().size());
                for (String r : t.roles()) {
                    string(out, r);
                }
            } else if (this instanceof DeleteToken d) {
                out.writeByte(4);
                string(out, d.name());
            }
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @throws IllegalArgumentException with what is wrong, for anything {@link #encode()} cannot produce */
    static AuthCommand decode(byte[] data) {
        if (!isAuthCommand(data)) {
            throw new IllegalArgumentException("not an auth command");
        }
        DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(data, 1, data.length - 1));
        try {
            int kind = in.readUnsignedByte();
            AuthCommand cmd = switch (kind) {
                case 1 -> {
                    String name = string(in);
                    int n = in.readUnsignedShort();
                    List<Permission> perms = new ArrayList<>(Math.min(n, AuthNames.MAX_PERMISSIONS));
                    for (int i = 0; i < n; i++) {
                        String prefix = string(in);
                        int access = in.readUnsignedByte();
                        if (access < 1 || access > Access.values().length) {
                            throw new IllegalArgumentException("corrupt auth command: unknown access " + access);
                        }
                        perms.add(new Permission(prefix, Access.values()[access - 1]));
                    }
                    yield new PutRole(new Role(name, perms));
                }
                case 2 -> new DeleteRole(string(in));
                case 3 -> {
                    String name = string(in);
                    byte[] hash = new byte[HASH_BYTES];
                    in.readFully(hash);
                    int n = in.readUnsignedShort();
                    List<String> roles = new ArrayList<>(Math.min(n, AuthNames.MAX_ROLES_PER_TOKEN));
                    for (int i = 0; i < n; i++) {
                        roles.add(string(in));
                    }
                    yield new PutToken(name, hash, roles);
                }
                case 4 -> new DeleteToken(string(in));
                default -> throw new IllegalArgumentException("corrupt auth command: unknown kind " + kind);
            };
            if (in.available() > 0) {
                throw new IllegalArgumentException("corrupt auth command: unexpected bytes after the last field");
            }
            return cmd;
        } catch (EOFException e) {
            throw new IllegalArgumentException("corrupt auth command: truncated", e);
        } catch (IOException e) {
            throw new IllegalArgumentException("corrupt auth command: " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw e.getMessage() != null && e.getMessage().startsWith("corrupt") ? e
                    : new IllegalArgumentException("corrupt auth command: " + e.getMessage(), e);
        }
    }

    private static void string(DataOutputStream out, String s) throws IOException {
        byte[] b = Utf8.encode(s);
        if (b.length > 0xFFFF) {
            throw new IllegalArgumentException("a name or prefix in an auth command is longer than 65535 bytes");
        }
        out.writeShort(b.length);
        out.write(b);
    }

    private static String string(DataInputStream in) throws IOException {
        byte[] b = new byte[in.readUnsignedShort()];
        in.readFully(b);
        try {
            return Utf8.decode(b, 0, b.length);
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new IllegalArgumentException("corrupt auth command: a string is not valid UTF-8 (" + HexFormat.of().formatHex(b, 0, Math.min(b.length, 16)) + ")");
        }
    }
}
