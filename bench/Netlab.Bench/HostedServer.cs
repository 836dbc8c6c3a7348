using System.Globalization;
using System.Net;
using System.Text;
using Netlab.Labs.Core;

namespace Netlab.Bench;

/// <summary>
/// A Netlab lab server on any free port of 127.0.0.1, hosted the way the portal's ServerManager
/// hosts it: a bounded event stream of the same capacity, drained by a background reader. The
/// events go nowhere, but the drain keeps a tally of what the server reported (by the lab's own
/// classification, e.g. responses by status, plus warnings, errors and faults) for the report.
/// </summary>
public sealed class HostedServer : IAsyncDisposable
{
    private const int ChannelCapacity = 10_000;
    // Distinct problem texts kept for the tally; the rest are only counted.
    private const int MaxProblemTexts = 10;

    /// <summary>How a lab's events count: a key to tally (e.g. "200"), and a problem it reports, if any.</summary>
    public delegate (string? Key, string? Problem) Classifier(LabEvent e);

    private readonly ILabServer server;
    private readonly string countsLabel;
    private readonly Task<Tally> drain;
    private readonly Func<IEnumerable<string>>? finalLines;

    private HostedServer(ILabServer server, string countsLabel, Task<Tally> drain, Func<IEnumerable<string>>? finalLines)
    {
        this.server = server;
        this.countsLabel = countsLabel;
        this.drain = drain;
        this.finalLines = finalLines;
    }

    public IPEndPoint EndPoint => server.LocalEndPoint!;

    /// <summary>Events the server had to drop because the drain fell behind.</summary>
    public long DroppedEvents => server.Events.Dropped;

    /// <param name="finalLines">What the lab itself can say once stopped (e.g. its mailbox), added to the report lines.</param>
    public static async Task<HostedServer> StartAsync(Func<ServerContext, ILabServer> create, string contentRoot = ".",
        Classifier? classify = null, string countsLabel = "events", Func<IEnumerable<string>>? finalLines = null)
    {
        var events = new EventStream("bench", ChannelCapacity);
        var server = create(new ServerContext(new IPEndPoint(IPAddress.Loopback, 0), events, new LabEnvironment(contentRoot)));
        var drain = Task.Run(() => DrainAsync(events, classify ?? (_ => (null, null))));
        try
        {
            await server.StartAsync();
        }
        catch
        {
            await server.DisposeAsync();
            await drain;
            throw;
        }
        return new HostedServer(server, countsLabel, drain, finalLines);
    }

    /// <summary>Stops the server and returns what its events said, as lines for the report.</summary>
    public async Task<IReadOnlyList<string>> StopAsync()
    {
        // Stopping the server completes its event stream, which ends the drain.
        await server.DisposeAsync();
        var tally = await drain;
        var lines = new List<string>();
        if (tally.Counts.Count > 0)
            lines.Add(Invariant($"{countsLabel}: {string.Join(", ", tally.Counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => Invariant($"{c.Key} × {c.Value:N0}")))}"));
        lines.Add(Invariant($"problems reported (warnings, errors, faulty requests): {tally.Problems:N0}; events dropped by the stream: {server.Events.Dropped:N0}"));
        lines.Add(Invariant($"final state: {server.State}{(server.FaultReason is null ? "" : $" ({server.FaultReason})")}"));
        lines.AddRange(tally.ProblemTexts.Select(p => Invariant($"{p.Value:N0} × {p.Key}")));
        if (finalLines is not null)
            lines.AddRange(finalLines());
        return lines;
    }

    public async ValueTask DisposeAsync()
    {
        await server.DisposeAsync();
        await drain;
    }

    private sealed class Tally
    {
        public Dictionary<string, long> Counts { get; } = new(StringComparer.Ordinal);
        public long Problems { get; set; }
        public Dictionary<string, long> ProblemTexts { get; } = [];

        public void Problem(string text)
        {
            Problems++;
            if (ProblemTexts.ContainsKey(text) || ProblemTexts.Count < MaxProblemTexts)
                ProblemTexts[text] = ProblemTexts.GetValueOrDefault(text) + 1;
        }
    }

    private static async Task<Tally> DrainAsync(EventStream events, Classifier classify)
    {
        var tally = new Tally();
        var reader = events.Reader;
        while (await reader.WaitToReadAsync())
        {
            while (reader.TryRead(out var e))
            {
                var (key, problem) = classify(e);
                if (key is not null)
                    tally.Counts[key] = tally.Counts.GetValueOrDefault(key) + 1;
                if (problem is not null)
                    tally.Problem(OneLine(problem));
                switch (e)
                {
                    case LogLine { Severity: not LogSeverity.Info } log:
                        tally.Problem($"{log.Severity}: {OneLine(log.Text)}");
                        break;
                    case ServerStateChanged { State: ServerState.Faulted } fault:
                        tally.Problem($"Faulted: {OneLine(fault.Reason ?? "")}");
                        break;
                }
            }
        }
        return tally;
    }

    private static string OneLine(string text)
    {
        var line = new StringBuilder(Math.Min(text.Length, 200));
        foreach (var c in text.Take(200))
            line.Append(char.IsControl(c) ? ' ' : c);
        return line.ToString();
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
