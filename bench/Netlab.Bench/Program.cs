// The UDP pinger benchmark: progress on stderr, the markdown report on stdout.
// See BenchSettings.Usage, and bench/udp-ping.sh for how it is run; bench/http.sh uses the serve-http mode,
// bench/dns.sh the serve-dns mode.
using Netlab.Bench;

if (args is ["serve"])
    return await ServeAsync();
if (args is ["serve-http", var contentRoot])
    return await ServeHttpAsync(contentRoot);
if (args is ["serve-dns", var dnsContentRoot, var zone])
    return await ServeDnsAsync(dnsContentRoot, zone);

BenchSettings settings;
try
{
    settings = BenchSettings.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(BenchSettings.Usage);
    return 2;
}

var progress = Console.Error;
var started = DateTimeOffset.UtcNow;
var loadAverage = Report.LoadAverage();
var python = await PythonPeers.LocateAsync(settings.Python, settings.PeersDirectory);
progress.WriteLine($"Python {python.Version} at {python.Interpreter}");
var rtt = await new RttBenchmark(settings, python, progress).RunAsync();
var load = await new ThroughputBenchmark(settings, python, progress).RunAsync();
Console.Out.Write(Report.Markdown(settings, python, started, loadAverage, rtt, load));
return 0;

// The Netlab server for the throughput runs, in a process of its own like the Python server.
// It speaks the same start-up line as udp_pinger_server.py, and stops when its stdin ends,
// which is also what happens if the benchmark dies.
static async Task<int> ServeAsync()
{
    await using var server = await HostedPingServer.StartAsync();
    Console.Out.WriteLine($"PORT {server.EndPoint.Port}");
    await Console.In.ReadToEndAsync();
    return 0;
}

// The Netlab web server for bench/http.sh, serving contentRoot: prints PORT <n>, stops when its
// stdin ends, then prints what the server's events reported (statuses, warnings, errors), one
// "EVENTS ..." line each, for the report.
static async Task<int> ServeHttpAsync(string contentRoot)
{
    if (!Directory.Exists(contentRoot))
    {
        Console.Error.WriteLine($"serve-http: {contentRoot} is not a folder.");
        return 2;
    }
    var server = await HostedHttpServer.StartAsync(contentRoot);
    try
    {
        Console.Out.WriteLine($"PORT {server.EndPoint.Port}");
        await Console.In.ReadToEndAsync();
        foreach (var line in await server.StopAsync())
            Console.Out.WriteLine($"EVENTS {line}");
    }
    finally
    {
        await server.DisposeAsync();
    }
    return 0;
}

// The Netlab DNS server for bench/dns.sh, answering from the zone file zone (relative to
// contentRoot) on UDP and TCP: prints PORT <n>, stops when its stdin ends, then prints what the
// server's events reported (queries by transport and response code, errors), one "EVENTS ..."
// line each, for the report.
static async Task<int> ServeDnsAsync(string contentRoot, string zone)
{
    if (!Directory.Exists(contentRoot))
    {
        Console.Error.WriteLine($"serve-dns: {contentRoot} is not a folder.");
        return 2;
    }
    var server = await HostedDnsServer.StartAsync(contentRoot, zone);
    try
    {
        Console.Out.WriteLine($"PORT {server.EndPoint.Port}");
        await Console.In.ReadToEndAsync();
        foreach (var line in await server.StopAsync())
            Console.Out.WriteLine($"EVENTS {line}");
    }
    finally
    {
        await server.DisposeAsync();
    }
    return 0;
}
