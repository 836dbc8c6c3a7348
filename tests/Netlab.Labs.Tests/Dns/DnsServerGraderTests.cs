using System.Net;
using System.Net.Sockets;
using Netlab.Labs.Core;
using Netlab.Labs.Dns;

namespace Netlab.Labs.Tests.Dns;

/// <summary>
/// The DNS server grader against student-style Python servers (tests/peers/grading/dns): the
/// correct one scores full marks; each buggy one loses exactly the checks its bug breaks, with a
/// reason that names it.
/// </summary>
public sealed class DnsServerGraderTests
{
    private static readonly LabEnvironment Environment = new(Path.GetTempPath());

    public static TheoryData<string, string[], string?> Servers => new()
    {
        { "server_correct.py", [], null },
        { "server_no_aa.py", ["QR and AA flags"], "set AA" },
        { "server_wrong_id.py", ["ID and question echoed"], "copy the first two bytes of the query" },
        { "server_no_compression.py", ["Name compression"], "write c0 0c" },
        { "server_no_nxdomain.py", ["NXDOMAIN"], "RCODE 3 (NXDOMAIN" },
        { "server_crash_malformed.py", ["Malformed query"], "did the server crash" },
    };

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task Grader_fails_exactly_the_checks_of_the_bug(string script, string[] failing, string? reason)
    {
        await using var python = PythonPeer.Start("grading/dns/" + script, "0");
        var port = int.Parse((await python.ReadLineAsync())!.Split(' ')[1]);
        var checks = await GradeAsync(port, new DnsServerGraderOptions());

        Assert.Equal(failing.Order(), checks.Where(c => !c.Passed).Select(c => c.Name).Order());
        if (reason is not null)
            Assert.Contains(reason, checks.Single(c => !c.Passed).Actual);
    }

    [Fact]
    public async Task Netlab_own_server_scores_full_marks()
    {
        var server = new DnsServer(new DnsServerOptions(), new ServerContext(Loopback.AnyPort, new EventStream("dns", 100_000), new LabEnvironment(Http.Repo.Content)));
        await server.StartAsync();
        try
        {
            var checks = await GradeAsync(server.LocalEndPoint!.Port, new DnsServerGraderOptions());
            Assert.All(checks, c => Assert.True(c.Passed, $"{c.Name}: {c.Actual}"));
        }
        finally
        {
            await server.StopAsync();
        }
    }

    [Fact]
    public async Task A_silent_server_fails_every_check_within_its_limits()
    {
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        silent.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var checks = await GradeAsync(((IPEndPoint)silent.LocalEndPoint!).Port, new DnsServerGraderOptions { TimeoutMs = 50 });
        // A silent server "drops" the malformed query cleanly, but then answers nothing: that fails too.
        Assert.All(checks, c => Assert.False(c.Passed));
        Assert.Contains("no reply to an A query", checks[0].Actual);
    }

    private static async Task<List<Check>> GradeAsync(int port, DnsServerGraderOptions options)
    {
        var sink = new ListSink();
        await new DnsServerGrader(options, Environment).RunAsync(new ProbeTarget("127.0.0.1", IPAddress.Loopback, port), sink, CancellationToken.None);
        var checks = sink.Of<Check>();
        Assert.Equal(["Reply", "QR and AA flags", "ID and question echoed", "A records", "Name compression", "TTL", "NXDOMAIN", "Malformed query"], checks.Select(c => c.Name));
        var summary = Assert.Single(sink.Of<Summary>());
        Assert.Equal(12, summary.Values["maxScore"]);
        Assert.Equal(checks.Sum(c => c.Points), summary.Values["score"]);
        return [.. checks];
    }
}
