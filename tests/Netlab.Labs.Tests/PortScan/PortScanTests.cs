using System.Net;
using System.Net.Sockets;
using Netlab.Labs.Core;
using Netlab.Labs.PortScan;

namespace Netlab.Labs.Tests.PortScan;

/// <summary>The port scanner against ports the test opens, closes and fills itself, on loopback.</summary>
public class PortScanTests
{
    private static Socket Listen(int backlog = 16)
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        s.Bind(Loopback.AnyPort);
        s.Listen(backlog);
        return s;
    }

    private static int PortOf(Socket s) => ((IPEndPoint)s.LocalEndPoint!).Port;

    /// <summary>
    /// A listener that never accepts, with its backlog full: Linux drops further SYNs, so a connect
    /// gets no answer at all, which is what a firewall that drops looks like. Returns the fillers.
    /// </summary>
    private static async Task<List<Socket>> FillBacklogAsync(Socket listener)
    {
        var fillers = new List<Socket>();
        for (var i = 0; i < 64; i++)
        {
            var c = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            fillers.Add(c);
            var connect = c.ConnectAsync(listener.LocalEndPoint!);
            // Only a lower bound: a connect still pending after this long is one the kernel is not answering.
            if (await Task.WhenAny(connect, Task.Delay(300)) != connect)
                return fillers;
        }
        throw new InvalidOperationException("the backlog never filled");
    }

    private static (Socket Open, Socket Full, int Closed) NeighbouringPorts()
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var open = Listen();
            var p = PortOf(open);
            if (p + 32 > 65_535) { open.Dispose(); continue; }
            try
            {
                var full = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    full.Bind(new IPEndPoint(IPAddress.Loopback, p + 1));
                    full.Listen(0);
                    using (var gone = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
                    {
                        gone.Bind(new IPEndPoint(IPAddress.Loopback, p + 2));
                        gone.Listen();
                    }
                    return (open, full, p + 2);
                }
                catch (SocketException)
                {
                    full.Dispose();
                    throw;
                }
            }
            catch (SocketException)
            {
                open.Dispose();
            }
        }
        throw new InvalidOperationException("no three free neighbouring ports");
    }

    [Fact]
    public async Task Open_closed_and_filtered_ports_are_told_apart_with_a_report_like_nmaps()
    {
        // Three neighbouring ports, so one small range holds them all: open, filtered, closed.
        var (open, full, closedPort) = NeighbouringPorts();
        using var _ = open;
        using var __ = full;
        var fillers = await FillBacklogAsync(full);
        var from = PortOf(open);
        var to = from + 30;
        var sink = new ListSink();
        await new PortScanProbe(new PortScanOptions { FromPort = from, ToPort = to, Concurrency = 50, TimeoutMs = 500 })
            .RunAsync(Loopback.Target(new IPEndPoint(IPAddress.Loopback, 0)), sink, CancellationToken.None);
        fillers.ForEach(f => f.Dispose());

        var results = sink.Of<PortResult>().ToDictionary(r => r.Port);
        Assert.Equal(to - from + 1, results.Count);
        Assert.Equal(PortState.Open, results[PortOf(open)].State);
        Assert.Equal(PortState.Filtered, results[PortOf(full)].State);
        Assert.Equal(PortState.Closed, results[closedPort].State);
        var summary = sink.Of<Summary>().Single();
        Assert.True(summary.Values["open"] >= 1);
        Assert.True(summary.Values["filtered"] >= 1);
        Assert.Equal(to - from + 1, summary.Values["open"] + summary.Values["closed"] + summary.Values["filtered"]);
        Assert.Matches(@"^Not shown: \d+ closed ports$", summary.Lines[1]);
        Assert.Contains(summary.Lines, l => l.StartsWith($"{PortOf(open)}/tcp", StringComparison.Ordinal) && l.Contains("open", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_small_range_lists_every_port_and_names_services()
    {
        using var open = Listen();
        var port = PortOf(open);
        var sink = new ListSink();
        await new PortScanProbe(new PortScanOptions { FromPort = port, ToPort = port, TimeoutMs = 2_000 })
            .RunAsync(Loopback.Target(new IPEndPoint(IPAddress.Loopback, 0)), sink, CancellationToken.None);
        Assert.Equal(PortState.Open, sink.Of<PortResult>().Single().State);
        Assert.Equal("ssh", WellKnownPorts.Of(22));
        Assert.Equal("smtp", WellKnownPorts.Of(25));
        Assert.Null(WellKnownPorts.Of(40_000));
    }

    [Fact]
    public void A_range_over_the_limit_or_backwards_is_refused_with_the_field_named()
    {
        var tooBig = OptionField.Validate(new PortScanOptions { FromPort = 1, ToPort = 2_000 });
        Assert.Contains("at most 1,024 ports", tooBig["toPort"].Single());
        var backwards = OptionField.Validate(new PortScanOptions { FromPort = 100, ToPort = 10 });
        Assert.Contains("at least", backwards["toPort"].Single());
        Assert.Empty(OptionField.Validate(new PortScanOptions { FromPort = 1, ToPort = 1_024 }));
    }

    [Fact]
    public async Task A_dropped_SYN_waits_only_the_timeout_on_a_fake_clock()
    {
        using var full = Listen(backlog: 0);
        var fillers = await FillBacklogAsync(full);
        var clock = new TestClock();
        var sink = new ListSink();
        var run = new PortScanProbe(new PortScanOptions { FromPort = PortOf(full), ToPort = PortOf(full), TimeoutMs = 10_000 }, clock)
            .RunAsync(Loopback.Target(new IPEndPoint(IPAddress.Loopback, 0)), sink, CancellationToken.None);
        await clock.SetAsync(TimeSpan.FromSeconds(10));
        clock.Advance(TimeSpan.FromSeconds(10));
        await run;
        fillers.ForEach(f => f.Dispose());
        var result = sink.Of<PortResult>().Single();
        Assert.Equal(PortState.Filtered, result.State);
        Assert.Null(result.Ms);
    }
}
