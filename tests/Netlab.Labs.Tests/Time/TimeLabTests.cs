using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Netlab.Labs.Core;
using Netlab.Labs.Tests.Http;
using Netlab.Labs.Time;

namespace Netlab.Labs.Tests.Time;

/// <summary>The time lab (handout 001, Exercise 9-1): wire format, server against nc and Python, the Cristian probe.</summary>
public class TimeLabTests
{
    private static async Task<(TimeServer Server, Task<List<LabEvent>> Events)> StartAsync(TimeServerOptions? options = null, TimeProvider? time = null)
    {
        var environment = new LabEnvironment(Repo.Content) { Time = time ?? TimeProvider.System };
        var server = new TimeServer(options ?? new TimeServerOptions(), new ServerContext(Loopback.AnyPort, new EventStream("time", 100_000), environment));
        await server.StartAsync();
        return (server, Loopback.DrainAsync(server.Events));
    }

    [Fact]
    public void The_human_line_is_what_Pythons_strftime_c_prints()
    {
        var instant = new DateTimeOffset(2026, 12, 3, 5, 9, 7, 123, TimeSpan.Zero);
        Assert.Equal("Thu Dec  3 05:09:07 2026", TimeMessage.Human(instant));
        Assert.Equal("2026-12-03T05:09:07.123000Z", TimeMessage.Iso(instant));
    }

    [Fact]
    public async Task The_human_line_matches_python_for_the_same_instant()
    {
        var (code, output, error) = await Tool.PythonAsync("import time; print(time.strftime('%c', time.gmtime(1796274547)))");
        Assert.True(code == 0, error);
        Assert.Equal(output.Trim(), TimeMessage.Human(DateTimeOffset.FromUnixTimeSeconds(1796274547)));
    }

    [Theory]
    [InlineData("reqtime\r\n", TimeScan.Command, "reqtime", 9)]
    [InlineData("reqtime\n", TimeScan.Command, "reqtime", 8)]
    [InlineData("reqtime", TimeScan.Command, "reqtime", 7)] // the handout's client: no line end
    [InlineData("REQTIME\n", TimeScan.Command, "REQTIME", 8)]
    [InlineData("\r\n\r\nhello\n", TimeScan.Command, "hello", 10)]
    [InlineData("req", TimeScan.NeedMore, "", 0)]
    [InlineData("\n\n", TimeScan.NeedMore, "", 2)]
    public void Scan_finds_whole_commands(string input, TimeScan expected, string command, int consumed)
    {
        Assert.Equal(expected, TimeMessage.Scan(Encoding.ASCII.GetBytes(input), out var used, out var found));
        Assert.Equal(command, found);
        Assert.Equal(consumed, used);
    }

    [Fact]
    public void Scan_refuses_a_flood_without_line_end_and_fed_a_byte_at_a_time_finds_each_command()
    {
        Assert.Equal(TimeScan.TooLong, TimeMessage.Scan(new byte[TimeMessage.MaxLine + 1], out _, out _));
        Assert.Equal(TimeScan.TooLong, TimeMessage.Scan(Encoding.ASCII.GetBytes(new string('x', 300) + "\n"), out _, out _));

        var wire = Encoding.Latin1.GetBytes("reqtime\r\nfoo\r\n\u0001\u00ff\nreqtime\n");
        var pending = new List<byte>();
        var commands = new List<string>();
        foreach (var b in wire)
        {
            pending.Add(b);
            while (TimeMessage.Scan(pending.ToArray(), out var used, out var command) == TimeScan.Command)
            {
                commands.Add(command);
                pending.RemoveRange(0, used);
            }
        }
        // A byte at a time, "reqtime" is whole before its CRLF arrives: the CRLF is then an empty line, skipped.
        Assert.Equal(["reqtime", "foo", "\u0001\u00ff", "reqtime"], commands);
    }

    [Theory]
    [InlineData("2026-12-03T05:09:07.123456Z", true)]
    [InlineData("2026-12-03T06:09:07.123456+01:00", true)]
    [InlineData("Thu Dec  3 05:09:07 2026", false)]
    public void Server_times_parse_as_the_same_instant(string line, bool precise)
    {
        Assert.True(TimeMessage.TryParseTime(line, out var t, out var wasPrecise));
        Assert.Equal(precise, wasPrecise);
        Assert.Equal(new DateTime(2026, 12, 3, 5, 9, 7, DateTimeKind.Utc), new DateTime(t.UtcDateTime.Ticks / TimeSpan.TicksPerSecond * TimeSpan.TicksPerSecond, DateTimeKind.Utc));
    }

    [Theory]
    [InlineData("")]
    [InlineData("ERR unknown")]
    [InlineData("12")]
    [InlineData("\u0000\u0001garbage 2026")]
    public void Garbage_is_not_a_time(string line) => Assert.False(TimeMessage.TryParseTime(line, out _, out _));

    [Fact]
    public void The_clock_runs_with_its_offset_and_drift_on_a_fake_clock()
    {
        var real = new TestClock();
        var clock = new TimeServerClock(real, offsetMs: 250, driftPpm: 1000); // 1 ms per second fast
        Assert.Equal(250, clock.ErrorMs, 3);
        real.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(260, clock.ErrorMs, 3);
    }

    [Fact]
    public async Task Nc_gets_the_time_and_an_error_line_for_an_unknown_command()
    {
        var (server, events) = await StartAsync(new TimeServerOptions { OffsetMs = 3_600_000 });
        var (code, output, error) = await Tool.RunAsync("nc", ["-N", "127.0.0.1", server.LocalEndPoint!.Port.ToString(CultureInfo.InvariantCulture)], "reqtime\nhello\n");
        await server.StopAsync();

        Assert.True(code == 0, error);
        var lines = output.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Matches(@"^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$", lines[0]);
        Assert.True(TimeMessage.TryParseTime(lines[1], out var t, out var precise) && precise);
        // An hour ahead, as configured (within a generous minute: this is not a timing test).
        Assert.InRange((t - DateTimeOffset.UtcNow).TotalMinutes, 59, 61);
        Assert.Equal("ERR unknown command \"hello\" (send reqtime)", lines[2]);
        var seen = (await events).OfType<TimeRequestSeen>().ToList();
        Assert.Equal(["reqtime", "hello"], seen.Select(s => s.Command));
        Assert.NotNull(seen[0].Answer);
        Assert.Null(seen[1].Answer);
    }

    [Fact]
    public async Task Twenty_python_clients_at_once_each_get_their_time_with_the_handouts_bare_reqtime()
    {
        var (server, _) = await StartAsync();
        var (code, output, error) = await Tool.PythonAsync("""
            import socket, sys, threading
            port = int(sys.argv[1]); socks = []
            for i in range(20):
                s = socket.create_connection(("127.0.0.1", port), timeout=10); socks.append(s)
            for s in socks: s.send(b"reqtime")          # ex91C.py sends exactly this, no newline
            ok = 0
            for s in socks:
                data = b""
                while data.count(b"\n") < 2: data += s.recv(1024)
                ok += data.split(b"\r\n")[1].endswith(b"Z")
            print(ok)
            """, server.LocalEndPoint!.Port.ToString(CultureInfo.InvariantCulture));
        await server.StopAsync();
        Assert.True(code == 0, error);
        Assert.Equal("20", output.Trim());
    }

    [Fact]
    public async Task A_line_over_the_limit_is_refused_and_the_connection_closed_while_others_are_served()
    {
        var (server, _) = await StartAsync();
        using var flood = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await flood.ConnectAsync(server.LocalEndPoint!);
        await flood.SendAsync(new byte[2000].Select(_ => (byte)'a').ToArray(), SocketFlags.None);
        var reply = await ReadToEndAsync(flood);
        Assert.StartsWith("ERR line too long", reply);

        var (code, output, _) = await Tool.RunAsync("nc", ["-N", "127.0.0.1", server.LocalEndPoint!.Port.ToString(CultureInfo.InvariantCulture)], "reqtime\n");
        Assert.Equal(0, code);
        Assert.EndsWith("Z\r\n", output);
        await server.StopAsync();
    }

    [Fact]
    public async Task The_idle_timeout_closes_a_silent_connection_on_a_fake_clock()
    {
        var clock = new TestClock();
        var (server, _) = await StartAsync(new TimeServerOptions { IdleTimeoutMs = 5_000 }, clock);
        using var silent = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await silent.ConnectAsync(server.LocalEndPoint!);
        await clock.SetAsync(TimeSpan.FromSeconds(5));
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal("ERR idle timeout, closing\r\n", await ReadToEndAsync(silent));
        await server.StopAsync();
    }

    [Fact]
    public async Task The_probe_estimates_a_python_servers_clock_off_by_a_known_amount()
    {
        await using var python = PythonPeer.Start("time_server.py", "0", "--offset-ms", "1500");
        var port = int.Parse((await python.ReadLineAsync())!.Split(' ')[1], CultureInfo.InvariantCulture);
        var sink = new ListSink();
        await new TimeSyncProbe(new TimeSyncOptions { Count = 5, IntervalMs = 0 }).RunAsync(Loopback.Target(new(System.Net.IPAddress.Loopback, port)), sink, CancellationToken.None);

        var estimates = sink.Of<TimeEstimate>();
        Assert.Equal(5, estimates.Count);
        Assert.All(estimates, e => Assert.Null(e.Error));
        var summary = sink.Of<Summary>().Single();
        // Both clocks are this machine's, so the true offset is exactly 1500 ms: the estimate is
        // within its own ±RTT/2 bound, plus 1 ms for Python's float time and microsecond rounding.
        Assert.InRange(summary.Values["offsetMs"]!.Value, 1500 - summary.Values["errorMs"]!.Value - 1, 1500 + summary.Values["errorMs"]!.Value + 1);
        Assert.Equal(estimates.Min(e => e.RttMs), summary.Values["rttMs"]);
        Assert.True(summary.Lines.Any(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^correction \(not applied\): set the local clock forward by 1(499|500)\.\d{3} ms")), string.Join("\n", summary.Lines));
    }

    [Fact]
    public async Task Against_a_ctime_only_server_that_closes_it_reconnects_and_widens_the_bound_by_half_a_second()
    {
        await using var python = PythonPeer.Start("time_server.py", "0", "--offset-ms", "-4000", "--ctime-only");
        var port = int.Parse((await python.ReadLineAsync())!.Split(' ')[1], CultureInfo.InvariantCulture);
        var sink = new ListSink();
        await new TimeSyncProbe(new TimeSyncOptions { Count = 3, IntervalMs = 0 }).RunAsync(Loopback.Target(new(System.Net.IPAddress.Loopback, port)), sink, CancellationToken.None);

        var estimates = sink.Of<TimeEstimate>();
        Assert.Equal(3, estimates.Count);
        // Both are rounded to the microsecond on their own, so half the rounded RTT may differ from the bound's by 0.0005 ms.
        Assert.All(estimates, e => Assert.Equal(e.RttMs!.Value / 2 + 500, e.ErrorMs!.Value, 0.001));
        // Whole seconds: the estimate is within a second of -4000 ms (truncation loses up to 1 s).
        Assert.All(estimates, e => Assert.InRange(e.OffsetMs!.Value, -5001, -3000));
    }

    [Fact]
    public async Task The_probe_against_the_portals_server_with_an_offset_and_an_error_line_from_a_wrong_server()
    {
        var (server, _) = await StartAsync(new TimeServerOptions { OffsetMs = -250 });
        var sink = new ListSink();
        await new TimeSyncProbe(new TimeSyncOptions { Count = 3, IntervalMs = 0 }).RunAsync(Loopback.Target(server.LocalEndPoint!), sink, CancellationToken.None);
        await server.StopAsync();
        var summary = sink.Of<Summary>().Single();
        Assert.InRange(summary.Values["offsetMs"]!.Value, -250 - summary.Values["errorMs"]!.Value - 1, -250 + summary.Values["errorMs"]!.Value + 1);
        Assert.Contains(summary.Lines, l => l.Contains("set the local clock back by 2", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_silent_server_times_out_on_a_fake_clock_and_the_summary_says_none_answered()
    {
        using var listener = new Socket(SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(Loopback.AnyPort);
        listener.Listen();
        var clock = new TestClock();
        var sink = new ListSink();
        var run = new TimeSyncProbe(new TimeSyncOptions { Count = 1, TimeoutMs = 2_000 }, clock).RunAsync(Loopback.Target((System.Net.IPEndPoint)listener.LocalEndPoint!), sink, CancellationToken.None);
        await clock.AdvanceUntilAsync(() => run.IsCompleted, TimeSpan.FromMilliseconds(500), "the probe to give up");
        await run;
        Assert.Equal("no answer within 2000 ms", sink.Of<TimeEstimate>().Single().Error);
        Assert.Equal(0, sink.Of<Summary>().Single().Values["answered"]);
    }

    private static async Task<string> ReadToEndAsync(Socket socket)
    {
        var all = new MemoryStream();
        var buffer = new byte[4096];
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        int n;
        while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, limit.Token)) > 0)
            all.Write(buffer, 0, n);
        return Encoding.ASCII.GetString(all.ToArray());
    }
}
