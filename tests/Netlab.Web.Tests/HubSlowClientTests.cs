using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Netlab.Web.Tests;

/// <summary>
/// A hub client that stops reading must not hold up the runs it follows, nor be kept forever
/// (issue: one such client slowed a run from 15 s to 34 s). The client here is a raw WebSocket on
/// a socket with a 4 KB receive buffer that reads nothing while three 10,000-ping runs go: far
/// more than the kernel's buffers hold, so the portal's sends to it get stuck. The runs must end
/// all the same (the hub's sends are off the event pump, HubForwarder), and the portal must drop
/// the client (Kestrel's minimum response data rate, 240 B/s after a 5 s grace, applies to the
/// WebSocket too) rather than keep its messages.
/// </summary>
[Collection(SharedPortalCollection.Name)]
public sealed class HubSlowClientTests(SharedPortal portal)
{
    [Fact]
    public async Task Runs_followed_by_a_hub_client_that_never_reads_still_end_and_the_client_gets_everything_later()
    {
        var client = portal.Client;
        var server = await client.StartServerAsync();
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await socket.ConnectAsync(IPAddress.Loopback, client.BaseAddress!.Port);
        await HandshakeAsync(socket, client.BaseAddress);

        var runs = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var id = (string)(await client.StartRunAsync((int)server["port"]!, new { count = 10_000, intervalMs = 0 }))["id"]!;
            runs.Add(id);
            await SendTextAsync(socket, $"{{\"type\":1,\"invocationId\":\"{i}\",\"target\":\"JoinRun\",\"arguments\":[\"{id}\"]}}\u001e");
        }

        // Nothing is read from the socket meanwhile; the client only keeps sending its pings (SignalR
        // closes a connection that says nothing for 30 s), as a real client that stopped reading does.
        using var done = new CancellationTokenSource();
        var pinging = Task.Run(async () =>
        {
            try
            {
                while (!done.IsCancellationRequested)
                {
                    await SendTextAsync(socket, "{\"type\":6}\u001e");
                    await Task.Delay(TimeSpan.FromSeconds(5), done.Token).ContinueWith(_ => { });
                }
            }
            catch (SocketException)
            {
                // Cut off by the portal: what the test checks below.
            }
        });
        foreach (var id in runs)
            Assert.Equal("Succeeded", (string)(await client.WaitForRunAsync(id))["status"]!);
        await done.CancelAsync();
        await pinging;

        // Now read what is left: the portal cut the connection rather than keep every message for
        // it, so the reading ends with the connection closed before the three runs' ends arrived.
        var (bytes, ends, closed) = await DrainAsync(socket, "\"target\":\"runEnded\"", runs.Count);
        Assert.True(closed, $"the client read {bytes} bytes and all {ends} ends: the portal kept everything for a client that did not read");
        Assert.True(ends < runs.Count);
    }

    private static async Task HandshakeAsync(Socket socket, Uri portal)
    {
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        var request = $"GET /hubs/runs?access_token={TestAccounts.AdminKey} HTTP/1.1\r\nHost: {portal.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            $"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n";
        await socket.SendAsync(Encoding.ASCII.GetBytes(request));
        var head = new StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            Assert.Equal(1, await socket.ReceiveAsync(one));
            head.Append((char)one[0]);
        }
        Assert.StartsWith("HTTP/1.1 101", head.ToString());
        await SendTextAsync(socket, "{\"protocol\":\"json\",\"version\":1}\u001e");
    }

    /// <summary>One masked text frame (RFC 6455 section 5.2: a client masks every frame).</summary>
    private static async Task SendTextAsync(Socket socket, string text)
    {
        var payload = Encoding.UTF8.GetBytes(text);
        var frame = new List<byte> { 0x81 };
        if (payload.Length < 126)
            frame.Add((byte)(0x80 | payload.Length));
        else
        {
            frame.Add(0x80 | 126);
            frame.Add((byte)(payload.Length >> 8));
            frame.Add((byte)payload.Length);
        }
        var mask = RandomNumberGenerator.GetBytes(4);
        frame.AddRange(mask);
        frame.AddRange(payload.Select((b, i) => (byte)(b ^ mask[i % 4])));
        await socket.SendAsync(frame.ToArray());
    }

    /// <summary>
    /// Reads until <paramref name="marker"/> was seen <paramref name="count"/> times (in the raw
    /// stream: server frames are not masked) or the portal closed the connection.
    /// </summary>
    private static async Task<(long Bytes, int Seen, bool Closed)> DrainAsync(Socket socket, string marker, int count)
    {
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var buffer = new byte[64 * 1024];
        var needle = Encoding.ASCII.GetBytes(marker);
        var tail = Array.Empty<byte>();
        long bytes = 0;
        var seen = 0;
        while (seen < count)
        {
            int n;
            try
            {
                n = await socket.ReceiveAsync(buffer, SocketFlags.None, patience.Token);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
            {
                return (bytes, seen, true);
            }
            if (n == 0)
                return (bytes, seen, true);
            bytes += n;
            // Carry the end of the last read, so a marker split across two reads is found once.
            var window = tail.Concat(buffer.Take(n)).ToArray();
            for (var at = 0; (at = window.AsSpan(at).IndexOf(needle) is var i && i >= 0 ? at + i : -1) >= 0; at += needle.Length)
                seen++;
            tail = window.Length >= needle.Length - 1 ? window[^(needle.Length - 1)..] : window;
        }
        return (bytes, seen, false);
    }
}
