package io.raftkv.jepsen;

import io.raftkv.check.KvOp;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Draws a run as a PNG: one dot per operation at the time it began, its latency on a log scale,
 * coloured by kind and outcome; fault windows shaded and labelled; the longest stretch without a
 * successful write marked below the axis.
 */
public final class Timeline {
    private static final int W = 1400;
    private static final int H = 720;
    private static final int LEFT = 80;
    private static final int RIGHT = 30;
    private static final int TOP = 140;
    private static final int BOTTOM = 90;

    static final Color READ = new Color(0x1f77b4);
    static final Color WRITE = new Color(0x2ca02c);
    static final Color REFUSED = new Color(0x17becf);
    static final Color UNKNOWN = new Color(0xff7f0e);
    static final Color FAILED = new Color(0xd62728);

    private static final Map<String, Color> FAULT_COLORS = Map.of(
            "kill", new Color(214, 39, 40, 45),
            "pause", new Color(148, 103, 189, 50),
            "partition", new Color(255, 187, 0, 60),
            "loss", new Color(100, 100, 160, 25),
            "resets", new Color(23, 190, 207, 35));

    private Timeline() {
    }

    public static void write(JepsenRun.Result r, Path png) throws IOException {
        BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            draw(g, r);
        } finally {
            g.dispose();
        }
        Files.createDirectories(png.getParent());
        ImageIO.write(img, "png", png.toFile());
    }

    private static void draw(Graphics2D g, JepsenRun.Result r) {
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, W, H);
        List<Op> ops = r.ops();
        long tMax = Math.max(r.loadEnd(), ops.stream().mapToLong(Op::completedAt).max().orElse(r.loadEnd()));
        double xSpan = tMax / 1e9 * 1.02;
        double maxLat = Math.max(1000, ops.stream().mapToDouble(Op::latencyMillis).max().orElse(1000));
        double yLo = Math.log10(0.5);
        double yHi = Math.log10(maxLat * 1.5);
        int pw = W - LEFT - RIGHT;
        int ph = H - TOP - BOTTOM;
        Axis x = t -> LEFT + (int) Math.round(t / 1e9 / xSpan * pw);
        Axis y = ms -> TOP + ph - (int) Math.round((Math.log10(Math.max(ms, 0.5)) - yLo) / (yHi - yLo) * ph);

        // Title
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 18));
        String verdict = r.linearizability().linearizable() ? "linearizable" : "NOT linearizable (" + r.linearizability().key() + ")";
        g.drawString(r.schedule().name() + " — " + r.clientOps().size() + " ops, " + r.failures() + " failed, "
                + verdict, LEFT, 26);

        // Fault windows: shaded bands, labels stacked in lanes above the plot.
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        FontMetrics fm = g.getFontMetrics();
        int lane = 0;
        for (Nemesis.Window w : r.windows()) {
            int x0 = x.at(w.start());
            int x1 = Math.max(x0 + 2, x.at(w.end()));
            g.setColor(FAULT_COLORS.getOrDefault(w.kind(), new Color(0, 0, 0, 30)));
            g.fillRect(x0, TOP, x1 - x0, ph);
            int ly = 46 + (lane % 5) * 16;
            g.setColor(FAULT_COLORS.getOrDefault(w.kind(), Color.GRAY).darker());
            Color solid = FAULT_COLORS.getOrDefault(w.kind(), Color.GRAY);
            g.setColor(new Color(solid.getRed(), solid.getGreen(), solid.getBlue()).darker());
            g.fillRect(x0, ly + 3, x1 - x0, 3);
            g.drawString(w.label(), Math.min(x0, W - RIGHT - fm.stringWidth(w.label())), ly);
            lane++;
        }

        // Elections the monitor saw: a strip just above the plot.
        g.setColor(new Color(90, 90, 90));
        for (Nemesis.Window w : r.elections()) {
            int x0 = x.at(w.start());
            int x1 = Math.max(x0 + 2, x.at(w.end()));
            g.fillRect(x0, TOP - 10, x1 - x0, 6);
        }
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        g.drawString("elections (" + r.termsStarted() + " new terms)", LEFT + pw - 150, TOP - 14);

        // Axes and grid
        g.setColor(Color.GRAY);
        g.drawRect(LEFT, TOP, pw, ph);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        for (double ms : new double[] {1, 10, 100, 1000, 10000}) {
            if (Math.log10(ms) > yHi) {
                break;
            }
            int yy = y.at(ms);
            g.setColor(new Color(225, 225, 225));
            g.drawLine(LEFT + 1, yy, LEFT + pw - 1, yy);
            g.setColor(Color.DARK_GRAY);
            String s = ms >= 1000 ? (int) (ms / 1000) + " s" : (int) ms + " ms";
            g.drawString(s, LEFT - 8 - g.getFontMetrics().stringWidth(s), yy + 4);
        }
        int step = xSpan > 60 ? 10 : xSpan > 20 ? 5 : 2;
        for (int s = 0; s <= xSpan; s += step) {
            int xx = x.at(s * 1_000_000_000L);
            g.setColor(Color.DARK_GRAY);
            g.drawLine(xx, TOP + ph, xx, TOP + ph + 4);
            g.drawString(s + " s", xx - 8, TOP + ph + 17);
        }
        int loadX = x.at(r.loadEnd());
        g.setColor(Color.GRAY);
        g.setStroke(new BasicStroke(1, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {4, 4}, 0));
        g.drawLine(loadX, TOP, loadX, TOP + ph);
        g.setStroke(new BasicStroke(1));
        g.drawString("load ends", loadX + 3, TOP + 12);
        g.setColor(Color.BLACK);
        g.drawString("latency (log)", 8, TOP - 6);

        // Operations
        for (Op op : ops) {
            int px = x.at(op.invokedAt());
            int py = y.at(op.latencyMillis());
            Color c = colorOf(op);
            g.setColor(c);
            if (op.outcome() == KvOp.Outcome.FAILED) {
                g.drawLine(px - 4, py - 4, px + 4, py + 4);
                g.drawLine(px - 4, py + 4, px + 4, py - 4);
            } else if (op.outcome() == KvOp.Outcome.UNKNOWN) {
                g.fillPolygon(new int[] {px, px + 5, px, px - 5}, new int[] {py - 5, py, py + 5, py}, 4);
            } else if (op.kind() == KvOp.Kind.GET) {
                g.fillOval(px - 3, py - 3, 6, 6);
            } else {
                g.fillRect(px - 3, py - 3, 6, 6);
            }
        }

        // The longest time without a successful write.
        Analysis.Gap gap = r.longestWriteGap();
        int gy = TOP + ph + 32;
        int gx0 = x.at(gap.start());
        int gx1 = x.at(gap.end());
        g.setColor(FAILED);
        g.setStroke(new BasicStroke(3));
        g.drawLine(gx0, gy, gx1, gy);
        g.drawLine(gx0, gy - 5, gx0, gy + 5);
        g.drawLine(gx1, gy - 5, gx1, gy + 5);
        g.setStroke(new BasicStroke(1));
        g.drawString(String.format("longest time without a successful write: %.2f s", gap.seconds()), gx0, gy + 18);

        // Legend
        Map<String, Color> legend = new LinkedHashMap<>();
        legend.put("read", READ);
        legend.put("write", WRITE);
        legend.put("cas refused (412)", REFUSED);
        legend.put("outcome unknown", UNKNOWN);
        legend.put("failed", FAILED);
        int lx = W - RIGHT - 620;
        for (Map.Entry<String, Color> e : legend.entrySet()) {
            g.setColor(e.getValue());
            g.fillRect(lx, H - 22, 10, 10);
            g.setColor(Color.BLACK);
            g.drawString(e.getKey(), lx + 14, H - 13);
            lx += 20 + g.getFontMetrics().stringWidth(e.getKey()) + 14;
        }
    }

    private interface Axis {
        int at(double v);

        default int at(long nanos) {
            return at((double) nanos);
        }
    }

    static Color colorOf(Op op) {
        if (op.outcome() == KvOp.Outcome.FAILED) {
            return FAILED;
        }
        if (op.outcome() == KvOp.Outcome.UNKNOWN) {
            return UNKNOWN;
        }
        if (op.kind() == KvOp.Kind.GET) {
            return READ;
        }
        return op.kind() == KvOp.Kind.CAS && !op.swapped() ? REFUSED : WRITE;
    }
}
