using System.Net;
using Netlab.Labs.Core;
using Netlab.Labs.UdpPing;

namespace Netlab.Bench;

/// <summary>One client's pings in one round: the RTTs (ms) of those answered.</summary>
public sealed record RttRun(int Round, string Client, int Sent, IReadOnlyList<double> RttsMs)
{
    public int Lost => Sent - RttsMs.Count;
}

/// <summary>
/// RTT of the Netlab probe against that of the handout-style Python client, both pinging the same
/// Netlab server (no loss) one ping at a time, in rounds that alternate which client goes first.
/// </summary>
public sealed class RttBenchmark(BenchSettings settings, PythonPeers python, TextWriter progress)
{
    public const string NetlabProbe = "Netlab probe";
    public const string PythonClient = "Python client";

    // The handout's timeout; with no loss on loopback it only matters if something is badly wrong.
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(1);

    // Enough for the JIT to settle on the probe's and the server's hot paths.
    private const int WarmUpPings = 300;

    public async Task<IReadOnlyList<RttRun>> RunAsync()
    {
        await using var server = await LabServers.StartPingAsync();
        progress.WriteLine($"RTT: Netlab server on {server.EndPoint}; warming up");
        await RunProbeAsync(server.EndPoint, WarmUpPings);
        await python.RunClientAsync(server.EndPoint, WarmUpPings, ReplyTimeout);

        var runs = new List<RttRun>();
        for (var round = 1; round <= settings.Rounds; round++)
        {
            foreach (var client in Rounds.Alternate(round, NetlabProbe, PythonClient))
            {
                var rtts = client == NetlabProbe
                    ? await RunProbeAsync(server.EndPoint, settings.Pings)
                    : await python.RunClientAsync(server.EndPoint, settings.Pings, ReplyTimeout);
                var run = new RttRun(round, client, settings.Pings, rtts);
                runs.Add(run);
                progress.WriteLine($"RTT round {round}: {client,-13} {run.RttsMs.Count} replies, median {Stats.Median(rtts):F3} ms");
            }
        }
        return runs;
    }

    /// <summary>Runs the probe in this process, as the portal does, and returns the RTTs it reported.</summary>
    private static async Task<IReadOnlyList<double>> RunProbeAsync(IPEndPoint server, int count)
    {
        var probe = new UdpPingProbe(new UdpPingProbeOptions { Count = count, TimeoutMs = (int)ReplyTimeout.TotalMilliseconds, IntervalMs = 0 });
        // Unbounded, like a portal run's stream. Read once the run is over so that no reader competes
        // with the probe for the CPU; the RTT is stamped before the event is emitted either way.
        var events = new EventStream("bench-probe");
        await probe.RunAsync(new ProbeTarget(server.Address.ToString(), server.Address, server.Port), events, CancellationToken.None);
        events.Complete();
        var rtts = new List<double>(count);
        while (events.Reader.TryRead(out var e))
        {
            if (e is RttSample { Outcome: RttOutcome.Reply, RttMs: { } rtt })
                rtts.Add(rtt);
        }
        return rtts;
    }
}
