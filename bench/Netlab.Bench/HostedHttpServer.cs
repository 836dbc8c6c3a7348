using System.Globalization;
using System.Net;
using System.Text;
using Netlab.Labs.Core;
using Netlab.Labs.Http;

namespace Netlab.Bench;

/// <summary>
/// The Netlab web server with default options on any free port of 127.0.0.1, hosted the way the
/// portal's ServerManager hosts it: a bounded event stream of the same capacity, drained by a
/// background reader. The events are not sent anywhere, but the drain keeps a tally of what the
/// server reported (responses by status, warnings and errors) for the benchmark to show.
/// </summary>
public sealed class HostedHttpServer : IAsyncDisposable
{
    private const int ChannelCapacity = 10_000;
    // Distinct problem texts kept for the tally; the rest are only counted.
    private const int MaxProblemTexts = 10;

    private readonly HttpServer server;
    private readonly Task<Tally> drain;

    private HostedHttpServer(HttpServer server, Task<Tally> drain)
    {
        this.server = server;
        this.drain = drain;
    }

    public IPEndPoint EndPoint => server.LocalEndPoint!;

    public static async Task<HostedHttpServer> StartAsync(string contentRoot)
    {
        var events = new EventStream("bench-http", ChannelCapacity);
        var server = new HttpServer(new HttpServerOptions(),
            new ServerContext(new IPEndPoint(IPAddress.Loopback, 0), events, new LabEnvironment(contentRoot)));
        var drain = Task.Run(() => DrainAsync(events));
        await server.StartAsync();
        return new HostedHttpServer(server, drain);
    }

    /// <summary>Stops the server and returns what its events said, as lines for the report.</summary>
    public async Task<IReadOnlyList<string>> StopAsync()
    {
        // Stopping the server completes its event stream, which ends the drain.
        await server.DisposeAsync();
        var tally = await drain;
        var lines = new List<string>
        {
            Invariant($"responses by status: {(tally.Statuses.Count == 0 ? "none" : string.Join(", ", tally.Statuses.OrderBy(s => s.Key).Select(s => Invariant($"{s.Key} × {s.Value:N0}"))))}"),
            Invariant($"warning/error log lines: {tally.Problems}; events dropped by the stream: {server.Events.Dropped:N0}"),
            Invariant($"final state: {server.State}{(server.FaultReason is null ? "" : $" ({server.FaultReason})")}"),
        };
        lines.AddRange(tally.ProblemTexts.Select(p => Invariant($"{p.Value:N0} × {p.Key}")));
        return lines;
    }

    public async ValueTask DisposeAsync()
    {
        await server.DisposeAsync();
        await drain;
    }

    private sealed class Tally
    {
        public Dictionary<int, long> Statuses { get; } = [];
        public long Problems { get; set; }
        public Dictionary<string, long> ProblemTexts { get; } = [];
    }

    private static async Task<Tally> DrainAsync(EventStream events)
    {
        var tally = new Tally();
        var reader = events.Reader;
        while (await reader.WaitToReadAsync())
        {
            while (reader.TryRead(out var e))
            {
                switch (e)
                {
                    case AccessLogEntry access:
                        tally.Statuses[access.Status] = tally.Statuses.GetValueOrDefault(access.Status) + 1;
                        break;
                    case LogLine { Severity: not LogSeverity.Info } log:
                        tally.Problems++;
                        var text = $"{log.Severity}: {OneLine(log.Text)}";
                        if (tally.ProblemTexts.ContainsKey(text) || tally.ProblemTexts.Count < MaxProblemTexts)
                            tally.ProblemTexts[text] = tally.ProblemTexts.GetValueOrDefault(text) + 1;
                        break;
                    case ServerStateChanged { State: ServerState.Faulted } fault:
                        tally.Problems++;
                        tally.ProblemTexts[$"Faulted: {OneLine(fault.Reason ?? "")}"] = 1;
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
