using System.Net;

namespace Netlab.Bench;

/// <summary>
/// One server's throughput run in one round, with the CPU time the server process and the load
/// generator used meanwhile: on a small machine they compete, and this tells which one ran out.
/// </summary>
public sealed record LoadRun(int Round, string Server, LoadResult Result, TimeSpan ServerCpu, TimeSpan LoadCpu)
{
    /// <summary>Server CPU as a percentage of one core.</summary>
    public double ServerCpuPercent => ServerCpu / Result.Duration * 100;

    /// <summary>Load generator CPU as a percentage of one core.</summary>
    public double LoadCpuPercent => LoadCpu / Result.Duration * 100;
}

/// <summary>
/// Pings per second the Netlab server sustains against the handout's Python server (both without
/// loss), driven by the same load generator, in rounds that alternate which server goes first.
/// Both servers run in processes of their own so that neither shares a runtime with the load.
/// </summary>
public sealed class ThroughputBenchmark(BenchSettings settings, PythonPeers python, TextWriter progress)
{
    public const string NetlabServer = "Netlab server";
    public const string PythonServer = "Python server";

    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(1);

    public async Task<IReadOnlyList<LoadRun>> RunAsync()
    {
        await using var netlab = await StartNetlabServerAsync();
        await using var handout = await python.StartServerAsync();
        var generator = new LoadGenerator(settings.Clients, TimeSpan.FromMilliseconds(settings.LoadTimeoutMs));
        var duration = TimeSpan.FromSeconds(settings.DurationSeconds);

        progress.WriteLine($"Throughput: Netlab server on port {netlab.Port}, Python server on port {handout.Port}; warming up");
        foreach (var server in new[] { netlab, handout })
            await generator.RunAsync(EndPoint(server), WarmUp);

        var runs = new List<LoadRun>();
        for (var round = 1; round <= settings.Rounds; round++)
        {
            foreach (var server in Rounds.Alternate(round, netlab, handout))
            {
                var serverCpu = server.CpuTime;
                var loadCpu = OwnCpuTime();
                var result = await generator.RunAsync(EndPoint(server), duration);
                var run = new LoadRun(round, server.Name, result, server.CpuTime - serverCpu, OwnCpuTime() - loadCpu);
                runs.Add(run);
                progress.WriteLine($"Throughput round {round}: {server.Name,-13} {result.RepliesPerSecond,8:N0} replies/s, "
                    + $"{result.Timeouts} timeouts, server CPU {run.ServerCpuPercent:F0}%, load generator CPU {run.LoadCpuPercent:F0}%");
            }
        }
        return runs;
    }

    /// <summary>This program in its <c>serve</c> mode: a Netlab server hosted as the portal hosts one.</summary>
    private static Task<PeerProcess> StartNetlabServerAsync()
    {
        // Under `dotnet run` this is the app host; started as `dotnet Netlab.Bench.dll` it is dotnet itself.
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("The path of this program is unknown.");
        string[] arguments = Path.GetFileNameWithoutExtension(self) == "dotnet"
            ? [typeof(ThroughputBenchmark).Assembly.Location, "serve"]
            : ["serve"];
        return PeerProcess.StartAsync(NetlabServer, self, arguments, stopsAtEndOfInput: true);
    }

    private static TimeSpan OwnCpuTime() => System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;

    private static IPEndPoint EndPoint(PeerProcess server) => new(IPAddress.Loopback, server.Port);
}
