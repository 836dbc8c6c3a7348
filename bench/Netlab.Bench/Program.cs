// The UDP pinger benchmark: progress on stderr, the markdown report on stdout.
// See BenchSettings.Usage, and bench/udp-ping.sh for how it is run; bench/http.sh uses the serve-http mode,
// bench/dns.sh the serve-dns mode, bench/ftp.sh the serve-ftp mode, bench/smtp.sh the serve-smtp mode,
// bench/echo.sh the serve-echo mode, bench/port-scan.sh the scan mode, bench/portal-load.sh the portal-load mode.
using Netlab.Bench;

if (args is ["serve"])
    return await ServeAsync();
if (args is ["serve-http", var contentRoot])
    return await ServeHttpAsync(contentRoot);
if (args is ["serve-dns", var dnsContentRoot, var zone])
    return await ServeDnsAsync(dnsContentRoot, zone);
if (args is ["serve-ftp", var ftpRoot])
    return await ServeFtpAsync(ftpRoot);
if (args is ["serve-echo"])
    return await ServeUntilStdinEndsAsync(LabServers.StartEchoAsync);
if (args is ["scan", var scanFrom, var scanTo, var scanConcurrency, var scanTimeout])
    return await PortScanRun.RunAsync(int.Parse(scanFrom, System.Globalization.CultureInfo.InvariantCulture), int.Parse(scanTo, System.Globalization.CultureInfo.InvariantCulture),
        int.Parse(scanConcurrency, System.Globalization.CultureInfo.InvariantCulture), int.Parse(scanTimeout, System.Globalization.CultureInfo.InvariantCulture));
if (args is ["portal-load", .. var loadArgs])
    return await PortalLoad.RunAsync(loadArgs);
if (args is ["serve-smtp"])
    return await ServeUntilStdinEndsAsync(() => LabServers.StartSmtpAsync("."));

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

// The lab servers for the throughput runs and for bench/http.sh and bench/dns.sh, each in a
// process of its own like the peers they are compared with: print "PORT n" (as
// udp_pinger_server.py does), serve until stdin ends (also what happens if the benchmark dies),
// then print what the server's events reported, one "EVENTS ..." line each, for the report.
static Task<int> ServeAsync() =>
    ServeUntilStdinEndsAsync(() => LabServers.StartPingAsync());

static Task<int> ServeHttpAsync(string contentRoot) => Directory.Exists(contentRoot)
    ? ServeUntilStdinEndsAsync(() => LabServers.StartHttpAsync(contentRoot))
    : Fail($"serve-http: {contentRoot} is not a folder.");

static Task<int> ServeDnsAsync(string contentRoot, string zone) => Directory.Exists(contentRoot)
    ? ServeUntilStdinEndsAsync(() => LabServers.StartDnsAsync(contentRoot, zone))
    : Fail($"serve-dns: {contentRoot} is not a folder.");

static Task<int> ServeFtpAsync(string root) => Directory.Exists(root)
    ? ServeUntilStdinEndsAsync(() => LabServers.StartFtpAsync(root))
    : Fail($"serve-ftp: {root} is not a folder.");

static async Task<int> ServeUntilStdinEndsAsync(Func<Task<HostedServer>> start)
{
    var server = await start();
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

static Task<int> Fail(string message)
{
    Console.Error.WriteLine(message);
    return Task.FromResult(2);
}
