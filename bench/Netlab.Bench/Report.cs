using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Netlab.Bench;

/// <summary>The results as markdown: per-round rows, then the rounds pooled.</summary>
public static class Report
{
    /// <param name="loadAverage">The 1-minute load average when the benchmark started, if known: other work on the machine skews every number.</param>
    public static string Markdown(BenchSettings settings, PythonPeers python, DateTimeOffset started, string? loadAverage,
        IReadOnlyList<RttRun> rtt, IReadOnlyList<LoadRun> load)
    {
        var md = new StringBuilder();
        md.AppendLine("# UDP pinger benchmark");
        md.AppendLine();
        md.AppendLine(Invariant($"{started:yyyy-MM-dd HH:mm} UTC · {RuntimeInformation.OSDescription} · {Environment.ProcessorCount} CPUs ({CpuModel()})")
            + Invariant($" · {RuntimeInformation.FrameworkDescription} · Python {python.Version}")
            + (loadAverage is null ? "" : $" · load average {loadAverage} at start"));
        md.AppendLine();

        md.AppendLine(Invariant($"## RTT: {settings.Pings} pings per run, one at a time, against a Netlab server (loss 0) in the bench process"));
        md.AppendLine();
        md.AppendLine("| round | client | replies | median (ms) | p99 (ms) |");
        md.AppendLine("|---|---|--:|--:|--:|");
        foreach (var run in rtt)
            md.AppendLine(RttRow(run.Round.ToString(CultureInfo.InvariantCulture), run.Client, [run]));
        foreach (var client in new[] { RttBenchmark.NetlabProbe, RttBenchmark.PythonClient })
            md.AppendLine(RttRow("**all**", $"**{client}**", [.. rtt.Where(r => r.Client == client)]));
        md.AppendLine();

        md.AppendLine(Invariant($"## Throughput: {settings.Clients} ping-pong sockets for {settings.DurationSeconds:0.###} s per run, {settings.LoadTimeoutMs} ms reply timeout"));
        md.AppendLine();
        md.AppendLine("| round | server | replies/s | timeouts | late replies | server CPU | load generator CPU |");
        md.AppendLine("|---|---|--:|--:|--:|--:|--:|");
        foreach (var run in load)
        {
            md.AppendLine(Invariant($"| {run.Round} | {run.Server} | {run.Result.RepliesPerSecond:N0} | {run.Result.Timeouts} | {run.Result.Late} | {run.ServerCpuPercent:F0}% | {run.LoadCpuPercent:F0}% |"));
        }
        foreach (var server in new[] { ThroughputBenchmark.NetlabServer, ThroughputBenchmark.PythonServer })
        {
            var runs = load.Where(r => r.Server == server).ToList();
            var rates = runs.Select(r => r.Result.RepliesPerSecond).ToList();
            md.AppendLine(Invariant($"| **all** | **{server}** | **{rates.Average():N0}** ({rates.Min():N0}–{rates.Max():N0}) | ")
                + Invariant($"{runs.Sum(r => r.Result.Timeouts)} | {runs.Sum(r => r.Result.Late)} | {runs.Average(r => r.ServerCpuPercent):F0}% | {runs.Average(r => r.LoadCpuPercent):F0}% |"));
        }
        md.AppendLine();

        md.AppendLine("Notes:");
        md.AppendLine("- Each round runs both sides back to back, alternating which goes first; warm-up runs before round 1 are not counted.");
        md.AppendLine("- RTT: the Netlab probe runs in the server's process (as in the portal) and stamps with Stopwatch; "
            + "the Python client is udp_pinger_client.py in its own process, timing sendto..recvfrom with perf_counter. "
            + "**all** pools every round's samples; percentiles are nearest-rank.");
        md.AppendLine("- Throughput: closed loop, each socket sends its next ping once the last is answered or timed out; "
            + "replies/s counts answers received within the run. The Netlab server runs in a process of its own "
            + "(`Netlab.Bench serve`, events drained as the portal does), the Python server is udp_pinger_server.py --loss 0. "
            + "The load generator (a blocking thread per socket, in the bench process) shares the CPUs with the server: "
            + "CPU columns are each process's CPU time over the run in % of one core, and show which side ran out. "
            + "**all** shows the mean of the rounds (min–max).");
        return md.ToString();
    }

    private static string RttRow(string round, string client, IReadOnlyList<RttRun> runs)
    {
        var rtts = runs.SelectMany(r => r.RttsMs).ToList();
        var sent = runs.Sum(r => r.Sent);
        return Invariant($"| {round} | {client} | {rtts.Count}/{sent} | {Stats.Median(rtts):F3} | {Stats.Percentile(rtts, 0.99):F3} |");
    }

    /// <summary>The 1-minute load average, on Linux.</summary>
    public static string? LoadAverage()
    {
        const string loadAvg = "/proc/loadavg";
        return File.Exists(loadAvg) ? File.ReadAllText(loadAvg).Split(' ')[0] : null;
    }

    private static string CpuModel()
    {
        const string cpuInfo = "/proc/cpuinfo";
        var model = File.Exists(cpuInfo)
            ? File.ReadLines(cpuInfo).FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        return model ?? RuntimeInformation.ProcessArchitecture.ToString();
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
