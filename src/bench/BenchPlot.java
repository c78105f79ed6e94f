import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Draws bin/raftkv-bench's results.tsv as a PNG (run with Java's source launcher; JDK only, headless):
 * requests per second (left) and p99 latency (right) against the number of connections, both on
 * logarithmic scales, one line per system and workload at the smallest value size. etcd is dashed.
 *
 * <pre>java src/bench/BenchPlot.java results.tsv plot.png</pre>
 */
public final class BenchPlot {
    private static final int W = 1200;
    private static final int H = 520;
    private static final Map<String, Color> KINDS = Map.of(
            "put", new Color(0x1f77b4), "get-linearizable", new Color(0x2ca02c), "get-stale", new Color(0xff7f0e));

    private record Point(double conns, double rps, double p99) {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: java BenchPlot.java results.tsv plot.png");
            System.exit(2);
        }
        List<String[]> rows = new ArrayList<>();
        List<String> lines = Files.readAllLines(Path.of(args[0]));
        for (String line : lines.subList(1, lines.size())) {
            if (!line.isBlank()) {
                rows.add(line.split("\t"));
            }
        }
        String smallest = rows.stream().map(r -> r[2]).min((a, b) -> Integer.compare(Integer.parseInt(a), Integer.parseInt(b))).orElse("100");
        Map<String, TreeMap<Double, Point>> series = new LinkedHashMap<>();
        for (String[] r : rows) {
            if (r[2].equals(smallest)) {
                double c = Double.parseDouble(r[3]);
                series.computeIfAbsent(r[0] + " " + r[1], k -> new TreeMap<>())
                        .put(c, new Point(c, Double.parseDouble(r[4]), Double.parseDouble(r[6])));
            }
        }
        BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, W, H);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.drawString("raftkv (solid) and etcd (dashed), " + smallest + "-byte values, same machine and load", 20, 24);
        panel(g, series, 60, "requests/s", Point::rps);
        panel(g, series, W / 2 + 40, "p99 latency (ms)", Point::p99);
        g.dispose();
        ImageIO.write(img, "png", Path.of(args[1]).toFile());
    }

    private static void panel(Graphics2D g, Map<String, TreeMap<Double, Point>> series, int x0, String title,
                              java.util.function.ToDoubleFunction<Point> value) {
        int w = W / 2 - 100;
        int top = 60;
        int h = H - 140;
        double cMin = Double.MAX_VALUE, cMax = 0, vMin = Double.MAX_VALUE, vMax = 0;
        for (TreeMap<Double, Point> s : series.values()) {
            for (Point p : s.values()) {
                cMin = Math.min(cMin, p.conns());
                cMax = Math.max(cMax, p.conns());
                double v = Math.max(value.applyAsDouble(p), 0.01);
                vMin = Math.min(vMin, v);
                vMax = Math.max(vMax, v);
            }
        }
        if (cMax == 0) {
            return;
        }
        double lc0 = Math.log(cMin), lc1 = Math.max(Math.log(cMax), lc0 + 1e-9);
        double lv0 = Math.floor(Math.log10(vMin)), lv1 = Math.max(Math.ceil(Math.log10(vMax)), lv0 + 1);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.setColor(Color.BLACK);
        g.drawString(title + " against connections (log scales)", x0, top - 12);
        g.drawRect(x0, top, w, h);
        for (double d = lv0; d <= lv1; d++) {
            int y = top + h - (int) ((d - lv0) / (lv1 - lv0) * h);
            g.setColor(new Color(230, 230, 230));
            g.drawLine(x0 + 1, y, x0 + w - 1, y);
            g.setColor(Color.DARK_GRAY);
            g.drawString(String.format("%,.0f", Math.pow(10, d)), x0 - 55, y + 4);
        }
        java.util.SortedSet<Double> conns = new java.util.TreeSet<>();
        series.values().forEach(s -> conns.addAll(s.keySet()));
        for (double c : conns) {
            int x = x0 + (int) ((Math.log(c) - lc0) / (lc1 - lc0) * w);
            g.setColor(Color.DARK_GRAY);
            g.drawString(String.format("%.0f", c), x - 6, top + h + 16);
        }
        int legend = top + h + 36;
        int lx = x0;
        for (Map.Entry<String, TreeMap<Double, Point>> e : series.entrySet()) {
            String[] sk = e.getKey().split(" ", 2);
            boolean etcd = sk[0].equals("etcd");
            Color color = KINDS.getOrDefault(sk[1], Color.GRAY);
            g.setColor(color);
            g.setStroke(etcd ? new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 1f, new float[] {7f, 5f}, 0f)
                    : new BasicStroke(2.5f));
            int px = -1, py = -1;
            for (Point p : e.getValue().values()) {
                int x = x0 + (int) ((Math.log(p.conns()) - lc0) / (lc1 - lc0) * w);
                double v = Math.max(value.applyAsDouble(p), 0.01);
                int y = top + h - (int) ((Math.log10(v) - lv0) / (lv1 - lv0) * h);
                if (px >= 0) {
                    g.drawLine(px, py, x, y);
                }
                g.fillOval(x - 3, y - 3, 6, 6);
                px = x;
                py = y;
            }
            g.drawLine(lx, legend + (etcd ? 18 : 0), lx + 24, legend + (etcd ? 18 : 0));
            g.setStroke(new BasicStroke(1f));
            g.setColor(Color.BLACK);
            g.drawString(e.getKey(), lx + 28, legend + (etcd ? 18 : 0) + 4);
            if (!etcd) {
                lx += 175; // etcd's line of the same workload came first, below
            }
        }
        g.setStroke(new BasicStroke(1f));
    }
}
