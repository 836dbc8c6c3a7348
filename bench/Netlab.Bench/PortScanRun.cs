using System.Diagnostics;
using System.Globalization;
using System.Net;
using Netlab.Labs.Core;
using Netlab.Labs.PortScan;

namespace Netlab.Bench;

/// <summary>
/// One port scan of 127.0.0.1 with the lab's probe, as the portal runs it (events into a stream
/// drained by a reader), for bench/port-scan.sh: prints "SCAN ports seconds open closed filtered".
/// </summary>
public static class PortScanRun
{
    public static async Task<int> RunAsync(int from, int to, int concurrency, int timeoutMs)
    {
        PortScanOptions.MaxPorts = 65_535; // the bench measures speed; the portal's limit is a policy
        var events = new EventStream("bench");
        var drain = Task.Run(async () =>
        {
            var results = new List<PortResult>();
            await foreach (var e in events.Reader.ReadAllAsync())
                if (e is PortResult r) results.Add(r);
            return results;
        });
        var options = new PortScanOptions { FromPort = from, ToPort = to, Concurrency = concurrency, TimeoutMs = timeoutMs };
        var started = Stopwatch.GetTimestamp();
        await new PortScanProbe(options).RunAsync(new ProbeTarget("127.0.0.1", IPAddress.Loopback, 0), events, CancellationToken.None);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        events.Complete();
        var found = await drain;
        Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"SCAN {found.Count} {seconds:F4} {found.Count(r => r.State == PortState.Open)} {found.Count(r => r.State == PortState.Closed)} {found.Count(r => r.State == PortState.Filtered)}"));
        Console.Out.WriteLine("OPEN " + string.Join(',', found.Where(r => r.State == PortState.Open).Select(r => r.Port).Order()));
        return 0;
    }
}
