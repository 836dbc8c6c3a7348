using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Netlab.Labs.Core;
using Netlab.Labs.Dns;

namespace Netlab.Labs.Tests.Dns;

/// <summary>The DNS server against dig, the client against the server and against dnsmasq.</summary>
public class DnsServerAndProbeTests
{
    private static async Task<(DnsServer Server, Task<List<LabEvent>> Events)> StartAsync(DnsServerOptions? options = null, TimeProvider? time = null)
    {
        var environment = new LabEnvironment(Http.Repo.Content) { Time = time ?? TimeProvider.System };
        var server = new DnsServer(options ?? new DnsServerOptions(), new ServerContext(Loopback.AnyPort, new EventStream("dns", 100_000), environment));
        await server.StartAsync();
        return (server, Loopback.DrainAsync(server.Events));
    }

    private static async Task<string> DigAsync(int port, params string[] args)
    {
        var (exit, output) = await Http.HttpServerTests.RunAsync("dig", ["@127.0.0.1", "-p", port.ToString(), "+time=2", "+tries=1", .. args]);
        Assert.True(exit == 0, output);
        return output;
    }

    [Fact]
    public async Task Dig_gets_both_A_records_authoritatively()
    {
        var (server, _) = await StartAsync();
        await using var _s = server;
        var output = await DigAsync(server.LocalEndPoint!.Port, "www.netlab.test", "A");
        Assert.Contains("status: NOERROR", output);
        Assert.Matches(@"flags: qr aa rd;", output);
        Assert.Matches(@"www\.netlab\.test\.\s+260\s+IN\s+A\s+192\.165\.1\.1\n", output);
        Assert.Matches(@"www\.netlab\.test\.\s+260\s+IN\s+A\s+192\.165\.1\.10\n", output);
    }

    [Theory]
    [InlineData("netlab.test", "MX", "10 mail.netlab.test.")]
    [InlineData("info.netlab.test", "TXT", "\"Netlab DNS lab\" \"RFC 1035 wire format\"")]
    [InlineData("www.netlab.test", "AAAA", "2001:db8::1")]
    [InlineData("alias.netlab.test", "A", "web.netlab.test.\nwww.netlab.test.\n192.165.1.1\n192.165.1.10")]
    public async Task Dig_gets_each_record_type(string name, string type, string expected)
    {
        var (server, _) = await StartAsync();
        await using var _s = server;
        Assert.Equal(expected, (await DigAsync(server.LocalEndPoint!.Port, name, type, "+short")).Trim());
    }

    [Fact]
    public async Task Dig_sees_NXDOMAIN_REFUSED_and_the_TC_retry_over_TCP()
    {
        var (server, events) = await StartAsync();
        var port = server.LocalEndPoint!.Port;
        Assert.Contains("status: NXDOMAIN", await DigAsync(port, "nope.netlab.test"));
        Assert.Contains("status: REFUSED", await DigAsync(port, "example.com"));
        var big = await DigAsync(port, "big.netlab.test", "TXT");
        Assert.Contains("Truncated, retrying in TCP mode", big);
        Assert.Contains("ANSWER: 7", big);
        Assert.Contains("ANSWER: 2", await DigAsync(port, "www.netlab.test", "+tcp"));
        await server.DisposeAsync();
        var log = (await events).OfType<DnsQueryLogged>().ToList();
        Assert.Contains(log, q => q is { Name: "nope.netlab.test", ResponseCode: DnsResponseCode.NXDomain, Transport: DnsTransport.Udp });
        Assert.Contains(log, q => q is { Name: "big.netlab.test", Type: "TXT", Transport: DnsTransport.Tcp, ResponseCode: DnsResponseCode.NoError });
    }

    [Fact]
    public async Task Hostile_packets_get_FORMERR_or_nothing_and_the_server_keeps_answering()
    {
        var (server, events) = await StartAsync(new DnsServerOptions { HexDumps = true });
        using var client = Loopback.UdpClient();
        var random = new Random(53);
        byte[][] hostile =
        [
            [0xab],
            Convert.FromHexString("abcd01000001000000000000c00c00010001"),          // pointer to itself
            Convert.FromHexString("abcd0100000500000000000003777777000001"),        // counts that lie
            Convert.FromHexString("abcd010000010000000000004061000001"),            // label type 01
            .. Enumerable.Range(0, 50).Select(_ => { var b = new byte[random.Next(1, 600)]; random.NextBytes(b); b[2] &= 0x7f; return b; }),
        ];
        foreach (var packet in hostile)
        {
            var reply = await Loopback.ExchangeAsync(client, server.LocalEndPoint!, packet, timeoutMs: 200);
            if (reply is not null)
            {
                Assert.True(DnsMessageReader.TryRead(reply, out var response, out _));
                Assert.True(response!.Flags.Response);
            }
        }
        Assert.Contains("192.165.1.10", await DigAsync(server.LocalEndPoint!.Port, "www.netlab.test", "+short"));
        Assert.Equal(ServerState.Running, server.State);
        await server.DisposeAsync();
        var all = await events;
        Assert.Contains(all.OfType<DnsQueryLogged>(), q => q.ResponseCode == DnsResponseCode.FormErr && q.Error!.Contains("points forward or loops"));
        Assert.Contains(all.OfType<HexMessage>(), h => h.Label.StartsWith("query from") && h.Fields.Any(f => f.Name == "MALFORMED"));
    }

    [Fact]
    public async Task A_slow_TCP_client_is_cut_off_and_others_are_answered()
    {
        var clock = new TestClock();
        var limit = TimeSpan.FromSeconds(5);
        var (server, _) = await StartAsync(new DnsServerOptions { TcpTimeoutMs = 5000 }, clock);
        await using var _s = server;
        using var slow = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await slow.ConnectAsync(server.LocalEndPoint!);
        await slow.SendAsync(new byte[] { 0x00 }, SocketFlags.None); // half a length prefix, then nothing
        await clock.SetAsync(limit); // the slow client's time limit runs
        Assert.Contains("ANSWER: 2", await DigAsync(server.LocalEndPoint!.Port, "www.netlab.test", "+tcp"));
        clock.Advance(limit - TimeSpan.FromMilliseconds(1));
        await Eventually.UntilAsync(() => server.TcpSessionCount == 1, "dig's session to end while the slow one waits on");
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(0, await slow.ReceiveAsync(new byte[10], SocketFlags.None).WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task The_zone_reloads_while_the_server_runs()
    {
        var root = Directory.CreateTempSubdirectory("netlab-zone-").FullName;
        try
        {
            var zoneFile = Path.Combine(root, "z.zone");
            await File.WriteAllTextAsync(zoneFile, "$ORIGIN z.test.\n@ SOA ns admin 1 2 3 4 5\na A 192.0.2.1\n");
            var server = new DnsServer(new DnsServerOptions { Zone = "z.zone" }, new ServerContext(Loopback.AnyPort, new EventStream("dns"), new LabEnvironment(root)));
            await server.StartAsync();
            _ = Loopback.DrainAsync(server.Events);
            await using var _s = server;
            Assert.Equal("192.0.2.1", (await DigAsync(server.LocalEndPoint!.Port, "a.z.test", "+short")).Trim());

            await File.WriteAllTextAsync(zoneFile, "$ORIGIN z.test.\n@ SOA ns admin 2 2 3 4 5\na A 192.0.2.99\n");
            server.ReloadZone();
            Assert.Equal("192.0.2.99", (await DigAsync(server.LocalEndPoint!.Port, "a.z.test", "+short")).Trim());

            await File.WriteAllTextAsync(zoneFile, "$ORIGIN z.test.\na A 192.0.2.5\n");
            Assert.Throws<DnsZoneException>(() => server.ReloadZone());
            Assert.Equal("192.0.2.99", (await DigAsync(server.LocalEndPoint!.Port, "a.z.test", "+short")).Trim()); // the old zone stays
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public async Task Each_server_edits_its_own_copy_of_the_zone_and_the_shared_file_is_never_written()
    {
        var root = Directory.CreateTempSubdirectory("netlab-zone-").FullName;
        try
        {
            var shared = Path.Combine(root, "z.zone");
            const string original = "$ORIGIN z.test.\n@ SOA ns admin 1 2 3 4 5\na A 192.0.2.1\n";
            await File.WriteAllTextAsync(shared, original);
            async Task<DnsServer> StartWithStorageAsync(string name)
            {
                var context = new ServerContext(Loopback.AnyPort, new EventStream("dns"), new LabEnvironment(root)) { StorageDirectory = Path.Combine(root, "servers", name) };
                var server = new DnsServer(new DnsServerOptions { Zone = "z.zone" }, context);
                await server.StartAsync();
                _ = Loopback.DrainAsync(server.Events);
                return server;
            }
            await using var one = await StartWithStorageAsync("one");
            await using var two = await StartWithStorageAsync("two");
            Assert.Equal(Path.Combine(root, "servers", "one", "z.zone"), one.ZonePath);

            one.SaveZone("$ORIGIN z.test.\n@ SOA ns admin 2 2 3 4 5\na A 192.0.2.99\nnew A 192.0.2.7\n");
            Assert.Equal("192.0.2.99", (await DigAsync(one.LocalEndPoint!.Port, "a.z.test", "+short")).Trim());
            Assert.Equal("192.0.2.7", (await DigAsync(one.LocalEndPoint!.Port, "new.z.test", "+short")).Trim());
            Assert.Equal("192.0.2.1", (await DigAsync(two.LocalEndPoint!.Port, "a.z.test", "+short")).Trim());
            Assert.Contains("NXDOMAIN", await DigAsync(two.LocalEndPoint!.Port, "new.z.test"));

            // A mistake changes nothing; a reload reads the server's copy, not the shared file.
            Assert.Throws<DnsZoneException>(() => one.SaveZone("$ORIGIN z.test.\na A 192.0.2.5\n"));
            one.ReloadZone();
            Assert.Equal("192.0.2.99", (await DigAsync(one.LocalEndPoint!.Port, "a.z.test", "+short")).Trim());
            Assert.Equal(original, await File.ReadAllTextAsync(shared));

            // The same server started again keeps its edits.
            await one.StopAsync();
            await using var oneAgain = await StartWithStorageAsync("one");
            Assert.Equal("192.0.2.7", (await DigAsync(oneAgain.LocalEndPoint!.Port, "new.z.test", "+short")).Trim());
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public async Task A_server_without_a_storage_directory_reads_the_shared_zone_and_refuses_to_edit_it()
    {
        await using var server = new DnsServer(new DnsServerOptions(), new ServerContext(Loopback.AnyPort, new EventStream("dns"), new LabEnvironment(Http.Repo.Content)));
        Assert.False(server.Editable);
        Assert.Contains("$ORIGIN netlab.test.", server.ZoneText());
        Assert.Contains("never edited", Assert.Throws<LabException>(() => server.SaveZone("$ORIGIN x.test.\n")).Message);
    }

    [Fact]
    public async Task TCP_connections_over_the_limit_are_closed_at_once()
    {
        var (server, _) = await StartAsync(new DnsServerOptions { MaxTcpConnections = 2 });
        await using var _s = server;
        using var a = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var b = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var c = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await a.ConnectAsync(server.LocalEndPoint!);
        await b.ConnectAsync(server.LocalEndPoint!);
        await Eventually.UntilAsync(() => server.TcpSessionCount == 2, "two TCP sessions");
        await c.ConnectAsync(server.LocalEndPoint!);
        Assert.Equal(0, await c.ReceiveAsync(new byte[10], SocketFlags.None).WaitAsync(TimeSpan.FromSeconds(2)));
        Assert.Equal(ServerState.Running, server.State);
    }

    [Fact]
    public void A_folder_is_not_a_zone_file()
    {
        var e = Assert.Throws<LabException>(() => new DnsServer(new DnsServerOptions { Zone = "dns" },
            new ServerContext(Loopback.AnyPort, new EventStream("dns"), new LabEnvironment(Http.Repo.Content))));
        Assert.Contains("not in the content root", e.Message);
    }

    [Fact]
    public async Task A_zone_file_outside_the_content_root_is_refused()
    {
        var e = Assert.Throws<LabException>(() => new DnsServer(new DnsServerOptions { Zone = "../../etc/hosts" },
            new ServerContext(Loopback.AnyPort, new EventStream("dns"), new LabEnvironment(Http.Repo.Content))));
        Assert.Contains("not in the content root", e.Message);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task The_client_prints_the_handouts_lines_a_dig_view_and_both_messages_as_hex()
    {
        var (server, _) = await StartAsync();
        await using var _s = server;
        var sink = new ListSink();
        await new DnsProbe(new DnsProbeOptions()).RunAsync(Loopback.Target(server.LocalEndPoint!), sink, CancellationToken.None);

        var lines = sink.Of<LogLine>().Select(l => l.Text).ToList();
        Assert.Contains("www.netlab.test: type A, class IN, TTL 260, addr (4) 192.165.1.1", lines);
        Assert.Contains("www.netlab.test: type A, class IN, TTL 260, addr (4) 192.165.1.10", lines);
        var hex = sink.Of<HexMessage>();
        Assert.Equal(["query", "response"], hex.Select(h => h.Label));
        Assert.Contains(hex[1].Fields, f => f.Name == "NAME (pointer)" && f.Length == 2);
        var dig = Assert.Single(sink.Of<Summary>());
        Assert.Contains(dig.Lines, l => l.StartsWith(";; ->>HEADER<<- opcode: QUERY, status: NOERROR"));
        Assert.Contains(dig.Lines, l => l.StartsWith(";; flags: qr aa rd; QUERY: 1, ANSWER: 2"));
        Assert.Equal(2, dig.Values["answers"]);
    }

    [Fact]
    public async Task The_client_retries_over_TCP_when_the_answer_is_truncated()
    {
        var (server, _) = await StartAsync();
        await using var _s = server;
        var sink = new ListSink();
        await new DnsProbe(new DnsProbeOptions { Name = "big.netlab.test", Type = DnsType.TXT }).RunAsync(Loopback.Target(server.LocalEndPoint!), sink, CancellationToken.None);
        Assert.Contains(sink.Of<LogLine>(), l => l.Text.Contains("truncated (TC); asking again over TCP"));
        // The truncated UDP answer is shown too, between the query and the TCP response.
        Assert.Equal(["query", "truncated UDP response (TC set)", "response"], sink.Of<HexMessage>().Select(h => h.Label));
        Assert.Equal(7, Assert.Single(sink.Of<Summary>()).Values["answers"]);
        Assert.Contains(sink.Of<Summary>()[0].Lines, l => l.EndsWith("(TCP)"));
    }

    [Fact]
    public async Task The_client_gives_up_after_its_retries_on_a_silent_server()
    {
        using var silent = Loopback.UdpClient();
        var sink = new ListSink();
        var e = await Assert.ThrowsAsync<LabException>(() => new DnsProbe(new DnsProbeOptions { TimeoutMs = 100, Retries = 2 })
            .RunAsync(Loopback.Target((IPEndPoint)silent.LocalEndPoint!), sink, CancellationToken.None));
        Assert.Contains("after 3 tries", e.Message);
        Assert.Equal(3, sink.Of<LogLine>().Count(l => l.Text.StartsWith("No reply within 100 ms")));
    }

    [Fact]
    public async Task The_client_queries_dnsmasq()
    {
        int port;
        using (var probe = Loopback.UdpClient()) port = ((IPEndPoint)probe.LocalEndPoint!).Port;
        var info = new ProcessStartInfo("dnsmasq") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "--no-daemon", $"--port={port}", "--listen-address=127.0.0.1", "--bind-interfaces", "--no-resolv", "--no-hosts",
                     "--conf-file=/dev/null", "--user=root", "--host-record=www.lab.test,192.0.2.7", "--host-record=www.lab.test,192.0.2.8",
                     "--txt-record=info.lab.test,hello from dnsmasq", "--mx-host=lab.test,mail.lab.test,5" })
            info.ArgumentList.Add(a);
        using var dnsmasq = Process.Start(info)!;
        try
        {
            var target = Loopback.Target(new IPEndPoint(IPAddress.Loopback, port));
            var sink = new ListSink();
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    await new DnsProbe(new DnsProbeOptions { Name = "www.lab.test", TimeoutMs = 300 }).RunAsync(target, sink, CancellationToken.None);
                    break;
                }
                catch (LabException) when (attempt < 20)
                {
                    await Task.Delay(100); // dnsmasq still starting
                    sink = new ListSink();
                }
            }
            var lines = sink.Of<LogLine>().Select(l => l.Text).ToList();
            Assert.Contains(lines, l => l.StartsWith("www.lab.test: type A, class IN, TTL ") && l.EndsWith("addr (4) 192.0.2.7"));
            Assert.Contains(lines, l => l.EndsWith("addr (4) 192.0.2.8"));

            var txt = new ListSink();
            await new DnsProbe(new DnsProbeOptions { Name = "info.lab.test", Type = DnsType.TXT }).RunAsync(target, txt, CancellationToken.None);
            Assert.Contains(txt.Of<LogLine>(), l => l.Text.Contains("\"hello from dnsmasq\""));
            var mx = new ListSink();
            await new DnsProbe(new DnsProbeOptions { Name = "lab.test", Type = DnsType.MX }).RunAsync(target, mx, CancellationToken.None);
            Assert.Contains(mx.Of<LogLine>(), l => l.Text.Contains("5 mail.lab.test."));
        }
        finally
        {
            dnsmasq.Kill();
            await dnsmasq.WaitForExitAsync();
        }
    }
}
