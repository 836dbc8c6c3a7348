using System.Net;
using System.Net.Sockets;
using Netlab.Labs.Core;
using Netlab.Labs.Echo;
using Netlab.Labs.Tests.Http;

namespace Netlab.Labs.Tests.Echo;

/// <summary>
/// The echo server grader against student-style Python servers (tests/peers/grading/echo/): the
/// correct ones score full marks; each buggy one loses exactly the checks its bug breaks, with a
/// reason that names it. Netlab's own echo servers (TCP and UDP, upper-case) score full marks.
/// </summary>
public sealed class EchoServerGraderTests
{
    private static readonly string[] TcpChecks = ["Upper-cased echo", "Message in pieces", "Three clients at once", "Long line"];
    private static readonly string[] UdpChecks = ["Upper-cased echo", "Three clients at once", "Long datagram"];

    public static TheoryData<string, string[], string?> Servers => new()
    {
        { "server_correct.py", [], null },
        { "server_no_upper.py", ["Upper-cased echo"], "not upper-cased" },
        { "server_first_recv.py", ["Message in pieces", "Long line"], "only the first" },
        { "server_one_client.py", ["Three clients at once"], "one client at a time" },
        { "udp_server_correct.py", [], null },
        { "udp_server_small_buffer.py", ["Long datagram"], "only the first 1024 of 4097 bytes" },
    };

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task Grader_fails_exactly_the_checks_of_the_bug(string script, string[] failing, string? reason)
    {
        await using var python = PythonPeer.Start("grading/echo/" + script, "0");
        var port = int.Parse((await python.ReadLineAsync())!.Split(' ')[1]);
        var udp = script.StartsWith("udp", StringComparison.Ordinal);

        var checks = await GradeAsync(new ProbeTarget("127.0.0.1", IPAddress.Loopback, port),
            new EchoServerGraderOptions { Transport = udp ? EchoTransport.Udp : EchoTransport.Tcp });

        Assert.Equal(udp ? UdpChecks : TcpChecks, checks.Select(c => c.Name));
        Assert.Equal(failing.Order(), checks.Where(c => !c.Passed).Select(c => c.Name).Order());
        if (reason is not null)
            Assert.All(checks.Where(c => !c.Passed), c => Assert.Contains(reason, c.Actual));
    }

    [Theory]
    [InlineData(EchoTransport.Tcp, true)]
    [InlineData(EchoTransport.Udp, true)]
    [InlineData(EchoTransport.Tcp, false)]
    public async Task Netlab_own_servers_score_full_marks(EchoTransport transport, bool uppercase)
    {
        var options = new EchoServerOptions { Transport = transport, Uppercase = uppercase };
        var context = new ServerContext(Loopback.AnyPort, new EventStream("echo", 100_000), new LabEnvironment(Repo.Content));
        var server = EchoLab.Definition.Server!.Create(options, context);
        await server.StartAsync();
        try
        {
            var checks = await GradeAsync(new ProbeTarget("127.0.0.1", IPAddress.Loopback, server.LocalEndPoint!.Port),
                new EchoServerGraderOptions { Transport = transport, Uppercase = uppercase });
            Assert.Equal(4 - (transport == EchoTransport.Udp ? 1 : 0), checks.Count);
            Assert.All(checks, c => Assert.True(c.Passed, $"{c.Name}: {c.Actual}"));
        }
        finally
        {
            await server.StopAsync();
        }
    }

    [Fact]
    public async Task As_is_expected_an_upper_case_server_fails_only_the_echo_check()
    {
        await using var python = PythonPeer.Start("grading/echo/server_correct.py", "0");
        var port = int.Parse((await python.ReadLineAsync())!.Split(' ')[1]);
        var checks = await GradeAsync(new ProbeTarget("127.0.0.1", IPAddress.Loopback, port), new EchoServerGraderOptions { Uppercase = false });
        Assert.Equal(["Echo", "Message in pieces", "Three clients at once", "Long line"], checks.Select(c => c.Name));
        Assert.Equal(["Echo"], checks.Where(c => !c.Passed).Select(c => c.Name));
    }

    [Fact]
    public async Task A_silent_server_fails_every_check_within_its_limits()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(16);
        var checks = await GradeAsync(new ProbeTarget("127.0.0.1", IPAddress.Loopback, ((IPEndPoint)listener.LocalEndPoint!).Port),
            new EchoServerGraderOptions { TimeoutMs = 100 });
        Assert.Equal(TcpChecks, checks.Select(c => c.Name));
        Assert.All(checks, c => Assert.False(c.Passed));
        Assert.Contains("nothing came back within 100 ms", checks[0].Actual);
    }

    private static async Task<List<Check>> GradeAsync(ProbeTarget target, EchoServerGraderOptions options)
    {
        var sink = new ListSink();
        await new EchoServerGrader(options, new LabEnvironment(Path.GetTempPath())).RunAsync(target, sink, CancellationToken.None);
        var checks = sink.Of<Check>();
        var summary = Assert.Single(sink.Of<Summary>());
        Assert.Equal(checks.Sum(c => c.Points), summary.Values["score"]);
        Assert.Equal(checks.Sum(c => c.MaxPoints), summary.Values["maxScore"]);
        return [.. checks];
    }
}
