using System.Net;
using System.Net.Sockets;
using Netlab.Labs.Core;
using Netlab.Labs.Ftp;

namespace Netlab.Labs.Tests.Ftp;

/// <summary>
/// Issue 16 item 14, each attack as it was made: guessing passwords at full speed, and PORT aimed
/// at the portal's own listeners on the client's (loopback) address.
/// </summary>
public sealed class FtpAttackTests
{
    private const string GuessThreeTimes = """
        import ftplib, sys
        ftp = ftplib.FTP()
        ftp.connect("127.0.0.1", int(sys.argv[1]))
        for attempt in range(4):
            try:
                ftp.login("alice", "guess%d" % attempt)
                print("logged in")
            except ftplib.error_perm as e:
                print(e)
            except (EOFError, OSError):
                print("closed")
                break
        """;

    [Fact]
    public async Task Wrong_passwords_are_answered_after_1_2_and_4_s_and_the_third_closes_the_connection()
    {
        var clock = new TestClock();
        await using var server = await RunningFtpServer.StartAsync(new FtpServerOptions { Accounts = "alice:s3cret" }, time: clock);
        var guesser = Tool.PythonAsync(GuessThreeTimes, server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));

        // Each 530 waits for the clock: no answer comes until the delay has passed.
        foreach (var seconds in new[] { 1, 2, 4 })
        {
            var delay = TimeSpan.FromSeconds(seconds);
            await clock.SetAsync(delay);
            Assert.False(guesser.IsCompleted);
            clock.Advance(delay);
        }
        var (exit, output, error) = await guesser;
        Assert.True(exit == 0, error);
        Assert.Equal(["530 Login incorrect.", "530 Login incorrect.", "530 Login incorrect.", "closed"], output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        await server.SessionsClosedAsync();
        await server.Events.WaitForAsync<LogLine>(1, l => l.Severity == LogSeverity.Warning && l.Text.Contains("3 failed logins; closing"));

        // Reconnecting does not start over: the address's fourth failure waits 8 s.
        await using var again = await RawFtp.ConnectAsync(server.EndPoint, login: false);
        Assert.Equal(331, (await again.SendAsync("USER alice")).Code);
        await again.SendBytesAsync("PASS guess4\r\n"u8.ToArray());
        await clock.SetAsync(TimeSpan.FromSeconds(8));
        Assert.Equal(0, again.Socket.Available);
        clock.Advance(TimeSpan.FromSeconds(8));
        Assert.Equal("530 Login incorrect.", (await again.ReadAsync()).ToString());
    }

    [Fact]
    public async Task The_530_waits_for_the_delay_and_a_right_password_after_a_wrong_one_is_not_delayed()
    {
        var clock = new TestClock();
        await using var server = await RunningFtpServer.StartAsync(new FtpServerOptions { Accounts = "alice:s3cret", LoginFailDelayMs = 1000 }, time: clock);
        await using var ftp = await RawFtp.ConnectAsync(server.EndPoint, login: false);
        Assert.Equal(331, (await ftp.SendAsync("USER alice")).Code);
        await ftp.SendBytesAsync("PASS wrong\r\n"u8.ToArray());
        await clock.SetAsync(TimeSpan.FromSeconds(1));
        clock.Advance(TimeSpan.FromMilliseconds(999));
        Assert.Equal(0, ftp.Socket.Available);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal("530 Login incorrect.", (await ftp.ReadAsync()).ToString());

        Assert.Equal(331, (await ftp.SendAsync("USER alice")).Code);
        Assert.Equal(230, (await ftp.SendAsync("PASS s3cret")).Code);
        Assert.Equal(1, clock.TimesSet(TimeSpan.FromSeconds(1)));
    }

    private const string AimPort = """
        import ftplib, sys
        ftp = ftplib.FTP()
        ftp.connect("127.0.0.1", int(sys.argv[1]))
        ftp.login()
        for port in sys.argv[2:]:
            for send in (ftp.sendport, ftp.sendeprt):
                try:
                    print(send("127.0.0.1", int(port)))
                except ftplib.error_perm as e:
                    print(e)
        """;

    [Fact]
    public async Task PORT_and_EPRT_to_the_portals_own_listeners_are_refused_and_never_connected()
    {
        // Stands for the portal's HTTP port: the environment names it as its own.
        using var portal = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        portal.Bind(Loopback.AnyPort);
        portal.Listen();
        var portalPort = ((IPEndPoint)portal.LocalEndPoint!).Port;
        await using var server = await RunningFtpServer.StartAsync(isOwnListener: e => e.Port == portalPort && IPAddress.IsLoopback(e.Address));
        // Another session's passive port is the server's own listener too.
        await using var other = await RawFtp.ConnectAsync(server.EndPoint);
        Assert.True(FtpHostPort.TryParsePasvReply((await other.SendAsync("PASV")).Message, out var otherPassive));
        int freePort;
        using (var free = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            free.Bind(Loopback.AnyPort);
            freePort = ((IPEndPoint)free.LocalEndPoint!).Port;
        }

        var (exit, output, error) = await Tool.PythonAsync(AimPort, [.. new[] { server.Port /* to connect */, server.Port, portalPort, otherPassive.Port, freePort }.Select(p => p.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
        Assert.True(exit == 0, error);
        Assert.Equal([
            "500 Illegal PORT command.", "500 Illegal EPRT command.", // the FTP server's own control port
            "500 Illegal PORT command.", "500 Illegal EPRT command.", // the portal's HTTP port
            "500 Illegal PORT command.", "500 Illegal EPRT command.", // another session's passive port
            "200 PORT command successful. Consider using PASV.", "200 EPRT command successful. Consider using PASV.", // any other unprivileged port
        ], output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.False(portal.Poll(0, SelectMode.SelectRead)); // nothing ever connected to the portal's port
    }
}
