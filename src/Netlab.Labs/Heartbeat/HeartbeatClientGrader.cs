using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Netlab.Labs.Core;

namespace Netlab.Labs.Heartbeat;

public sealed record HeartbeatClientGraderOptions
{
    [Display(AutoGenerateField = false), Description("The Netlab heartbeat server the student's client talked to (set by the assignment).")]
    public string? ServerId { get; init; }

    [Range(10, 60_000), Description("The interval the client should keep between heartbeats, in ms.")]
    public int IntervalMs { get; init; } = 1000;

    [Range(2, 10_000), Description("Heartbeats the client must send at least.")]
    public int MinHeartbeats { get; init; } = 5;

    [Range(100, 86_400_000), Description("How far a heartbeat's timestamp may be from when it arrived, in ms (clocks of different machines differ).")]
    public int MaxSkewMs { get; init; } = 60_000;
}

/// <summary>
/// Grades a student's UDP heartbeat client (handout 000, assignment 2, optional exercise 2) from
/// what the Netlab heartbeat server it talked to stored: the latest client's datagrams in the
/// handout's "sequence timestamp" form, enough of them, sequence numbers increasing by one,
/// timestamps near the arrival time (Unix seconds), and a regular interval. Nothing is sent.
/// </summary>
public sealed class HeartbeatClientGrader(HeartbeatClientGraderOptions options, LabEnvironment environment) : IProbe
{
    private const string NotAHeartbeat = ": not a heartbeat (";

    public async Task RunAsync(ProbeTarget target, IEventSink events, CancellationToken cancellationToken)
    {
        var session = await GradedSession.ReadAsync(environment, options.ServerId, HeartbeatLab.Definition.Id, "heartbeat server", cancellationToken);

        var checks = new CheckRunner(events, environment.Time);
        var plan = new (string Name, double Points, string Expected)[]
        {
            ("Format", 1, "each datagram is \"<sequence> <timestamp>\", e.g. \"3 1764763200.123456\""),
            ($"{options.MinHeartbeats} heartbeats", 1, $"at least {options.MinHeartbeats} heartbeats"),
            ("Increasing sequence", 2, "sequence numbers 1, 2, 3, ... each one more than the last"),
            ("Plausible timestamps", 1, $"the send time in Unix seconds (time.time()), within {options.MaxSkewMs / 1000.0:0.#} s of the arrival"),
            ("Regular interval", 2, $"about {options.IntervalMs} ms between heartbeats (most gaps within 0.5x to 2x)"),
        };
        // Whoever spoke last: a heartbeat, or a datagram the server could not read.
        string? Garbled(LabEvent e) => e is LogLine { Severity: LogSeverity.Warning } l && l.Text.IndexOf(NotAHeartbeat, StringComparison.Ordinal) is > 0 and var at ? l.Text[..at] : null;
        var client = session.Events.Select(e => e is HeartbeatReceived r ? r.Client : Garbled(e)).LastOrDefault(c => c is not null);
        if (client is null)
        {
            foreach (var (name, points, expected) in plan)
                checks.Record(name, points, expected, false, "the server received no datagram: run your client against this server's port, then submit");
            checks.Finish();
            return;
        }
        var beats = session.Events.OfType<HeartbeatReceived>().Where(r => r.Client == client).ToList();
        var garbled = session.Events.OfType<LogLine>().Where(l => Garbled(l) == client).ToList();
        events.Emit(new LogLine(LogSeverity.Info, $"Grading the latest client, {client}: {beats.Count} heartbeats, {garbled.Count} unreadable datagrams."));

        checks.Record(plan[0].Name, plan[0].Points, plan[0].Expected, garbled.Count == 0 && beats.Count > 0,
            garbled.Count == 0 ? $"{beats.Count} heartbeats read"
            : $"{garbled.Count} datagram(s) were not \"<sequence> <timestamp>\", e.g. {garbled[0].Text[(client.Length + NotAHeartbeat.Length)..].Replace("), ignored", "", StringComparison.Ordinal)}: send the sequence number, one space, and time.time()");
        const string None = "no readable heartbeat (see \"Format\")";
        checks.Record(plan[1].Name, plan[1].Points, plan[1].Expected, beats.Count >= options.MinHeartbeats,
            beats.Count >= options.MinHeartbeats ? $"{beats.Count} heartbeats" : $"{beats.Count} heartbeats: keep sending, one every {options.IntervalMs} ms");
        if (beats.Count == 0)
        {
            foreach (var (name, points, expected) in plan.Skip(2))
                checks.Record(name, points, expected, false, None);
            checks.Finish();
            return;
        }

        var seqs = beats.Select(b => b.Sequence).ToList();
        var wrong = Enumerable.Range(1, seqs.Count - 1).FirstOrDefault(i => seqs[i] != seqs[i - 1] + 1);
        checks.Record(plan[2].Name, plan[2].Points, plan[2].Expected, wrong == 0,
            wrong == 0 ? $"{seqs[0]}..{seqs[^1]}"
            : seqs[wrong] == seqs[wrong - 1] ? $"sent {Show(seqs)}: heartbeat {wrong + 1} repeats {seqs[wrong]}; add 1 to the sequence number for each heartbeat"
            : $"sent {Show(seqs)}: after {seqs[wrong - 1]} came {seqs[wrong]}; each heartbeat's number is one more than the last");

        // Dropped heartbeats (server-side loss) carry no delay: judge the ones that were read.
        var delays = beats.Where(b => b.OneWayDelayMs is not null).Select(b => b.OneWayDelayMs!.Value).ToList();
        var far = delays.FirstOrDefault(d => Math.Abs(d) > options.MaxSkewMs, double.NaN);
        checks.Record(plan[3].Name, plan[3].Points, plan[3].Expected, delays.Count > 0 && double.IsNaN(far),
            delays.Count == 0 ? "no heartbeat was processed (all dropped)"
            : double.IsNaN(far) ? $"within {delays.Max(Math.Abs):0} ms of arrival"
            : $"a timestamp {Seconds(-far)} from its arrival: send time.time() (seconds since 1970, e.g. 1764763200.123456), not milliseconds or a counter");

        var gaps = beats.Zip(beats.Skip(1), (a, b) => (b.Timestamp - a.Timestamp).TotalMilliseconds).ToList();
        var regular = gaps.Count(g => g >= options.IntervalMs * 0.5 && g <= options.IntervalMs * 2.0);
        var ok = gaps.Count > 0 && regular >= gaps.Count * 0.8;
        var median = gaps.Count == 0 ? 0 : gaps.Order().ElementAt(gaps.Count / 2);
        checks.Record(plan[4].Name, plan[4].Points, plan[4].Expected, ok,
            gaps.Count == 0 ? "only one heartbeat: no interval to measure"
            : ok ? $"median gap {median:0} ms ({regular} of {gaps.Count} gaps in range)"
            : median < options.IntervalMs * 0.5 ? $"median gap {median:0} ms: wait {options.IntervalMs} ms between heartbeats (time.sleep({options.IntervalMs / 1000.0:0.###}))"
            : $"median gap {median:0} ms, only {regular} of {gaps.Count} gaps within 0.5x to 2x of {options.IntervalMs} ms: send at a steady interval");
        checks.Finish();
    }

    private static string Show(List<int> seqs) =>
        string.Join(", ", seqs.Take(8).Select(s => s.ToString(CultureInfo.InvariantCulture))) + (seqs.Count > 8 ? ", ..." : "");

    private static string Seconds(double ms) =>
        (Math.Abs(ms) >= 86_400_000 ? $"{ms / 86_400_000:0.#} days" : $"{ms / 1000:0.#} s") + (ms > 0 ? " ahead" : " behind");
}
