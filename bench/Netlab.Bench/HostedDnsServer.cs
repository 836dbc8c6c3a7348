using System.Globalization;
using System.Net;
using System.Text;
using Netlab.Labs.Core;
using Netlab.Labs.Dns;

namespace Netlab.Bench;

/// <summary>
/// The Netlab DNS server (UDP and TCP on one port of 127.0.0.1, default options but the zone)
/// hosted the way the portal's ServerManager hosts it: a bounded event stream of the same
/// capacity, drained by a background reader. The events are not sent anywhere, but the drain
/// keeps a tally of what the server reported (queries by transport and response code, query
/// errors, warnings and errors) for the benchmark to show.
/// </summary>
public sealed class HostedDnsServer : IAsyncDisposable
{
    private const int ChannelCapacity = 10_000;
    // Distinct problem texts kept for the tally; the rest are only counted.
    private const int MaxProblemTexts = 10;

    private readonly DnsServer server;
    private readonly Task<Tally> drain;

    private HostedDnsServer(DnsServer server, Task<Tally> drain)
    {
        this.server = server;
        this.drain = drain;
    }

    public IPEndPoint EndPoint => server.LocalEndPoint!;

    /// <param name="zone">The zone file, relative to <paramref name="contentRoot"/>.</param>
    public static async Task<HostedDnsServer> StartAsync(string contentRoot, string zone)
    {
        var events = new EventStream("bench-dns", ChannelCapacity);
        var server = new DnsServer(new DnsServerOptions { Zone = zone },
            new ServerContext(new IPEndPoint(IPAddress.Loopback, 0), events, new LabEnvironment(contentRoot)));
        var drain = Task.Run(() => DrainAsync(events));
        try
        {
            await server.StartAsync();
        }
        catch
        {
            events.Complete();
            await drain;
            throw;
        }
        return new HostedDnsServer(server, drain);
    }

    /// <summary>Stops the server and returns what its events said, as lines for the report.</summary>
    public async Task<IReadOnlyList<string>> StopAsync()
    {
        // Stopping the server completes its event stream, which ends the drain.
        await server.DisposeAsync();
        var tally = await drain;
        var lines = new List<string>
        {
            Invariant($"queries logged: {(tally.Queries.Count == 0 ? "none" : string.Join(", ", tally.Queries.OrderBy(q => q.Key, StringComparer.Ordinal).Select(q => Invariant($"{q.Key} × {q.Value:N0}"))))}"),
            Invariant($"queries with an error: {tally.QueryErrors:N0}; warning/error log lines: {tally.Problems}; events dropped by the stream: {server.Events.Dropped:N0}"),
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
        /// <summary>Queries by "transport response-code", e.g. "UDP NOERROR".</summary>
        public Dictionary<string, long> Queries { get; } = [];
        public long QueryErrors { get; set; }
        public long Problems { get; set; }
        public Dictionary<string, long> ProblemTexts { get; } = [];

        public void Add(string text)
        {
            if (ProblemTexts.ContainsKey(text) || ProblemTexts.Count < MaxProblemTexts)
                ProblemTexts[text] = ProblemTexts.GetValueOrDefault(text) + 1;
        }
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
                    case DnsQueryLogged query:
                        var key = $"{query.Transport} {query.ResponseCode}";
                        tally.Queries[key] = tally.Queries.GetValueOrDefault(key) + 1;
                        if (query.Error is { } error)
                        {
                            tally.QueryErrors++;
                            tally.Add($"query error ({query.Transport} {query.ResponseCode}): {OneLine(error)}");
                        }
                        break;
                    case LogLine { Severity: not LogSeverity.Info } log:
                        tally.Problems++;
                        tally.Add($"{log.Severity}: {OneLine(log.Text)}");
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
