using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Netlab.Labs.Core;

namespace Netlab.Labs.Echo;

public sealed record EchoServerGraderOptions
{
    [Description("tcp: the student's stream server (one connection per check); udp: datagrams, each answered to the sender's address and port.")]
    public EchoTransport Transport { get; init; } = EchoTransport.Tcp;

    [Display(Name = "Upper-case")]
    [Description("Expect the text back upper-cased (handout 003/004's upper-case server); off: as is.")]
    public bool Uppercase { get; init; } = true;

    [Display(Name = "Timeout (ms)", GroupName = "Advanced")]
    [Range(100, 60_000), Description("How long to wait for each answer, in ms.")]
    public int TimeoutMs { get; init; } = 3000;
}

/// <summary>
/// Grades a student's echo or upper-case server (handouts 001, 003, 004). TCP: a line comes back
/// (upper-cased), a line sent in three pieces comes back whole, three clients at once, a 4 KB line
/// whole. UDP: the same, with one datagram back to the sender's address and port, and no pieces.
/// Only the first check looks at the case; the others compare ignoring it.
/// </summary>
public sealed class EchoServerGrader(EchoServerGraderOptions options, LabEnvironment environment) : IProbe
{
    /// <summary>Pause between the pieces of a split message, so they reach the server in separate recv()s.</summary>
    private static readonly TimeSpan PieceGap = TimeSpan.FromMilliseconds(200);
    private const int LongBytes = 4096;

    /// <summary>Most bytes taken from the server between the pieces of one message (an echo is never longer than the message).</summary>
    private const int MaxAnswerBytes = 256 * 1024;

    private TimeSpan Limit => TimeSpan.FromMilliseconds(options.TimeoutMs * 4L);
    private bool Udp => options.Transport == EchoTransport.Udp;

    public async Task RunAsync(ProbeTarget target, IEventSink events, CancellationToken cancellationToken)
    {
        var checks = new CheckRunner(events, environment.Time);
        events.Emit(new LogLine(LogSeverity.Info, $"Grading the {(Udp ? "UDP" : "TCP")} {(options.Uppercase ? "upper-case" : "echo")} server at {target}."));
        var way = options.Uppercase ? "upper-cased" : "as is";
        var to = Udp ? " in one datagram to the sender's address and port" : "";

        await checks.RunAsync(options.Uppercase ? "Upper-cased echo" : "Echo", 2, $"\"Hello, Netlab grader 42\\n\" sent back {way}{to}", Limit, async ct =>
        {
            await using var c = await Open(target, ct);
            const string Text = "Hello, Netlab grader 42\n";
            var got = await c.ExchangeAsync([Text], ct);
            var want = Expect(Text);
            if (Same(got, want, ignoreCase: false))
                return (true, $"\"{Show(got)}\"");
            if (options.Uppercase && Same(got, Text, ignoreCase: false))
                return (false, $"\"{Show(got)}\" came back as sent, not upper-cased: send back data.upper() (or data.decode().upper().encode())");
            return (false, $"\"{Show(got)}\" came back instead of \"{Show(want)}\"");
        }, cancellationToken);

        if (!Udp)
            await checks.RunAsync("Message in pieces", 1, $"\"piece one, \", \"piece two, \" and \"piece three\\n\" sent {PieceGap.TotalMilliseconds:0} ms apart come back whole", Limit, async ct =>
            {
                await using var c = await Open(target, ct);
                string[] pieces = ["piece one, ", "piece two, ", "piece three\n"];
                return Verdict(await c.ExchangeAsync(pieces, ct), string.Concat(pieces));
            }, cancellationToken);

        await checks.RunAsync("Three clients at once", 2, $"three {(Udp ? "sockets" : "connections")} open together, the last one first, each sent back its own line", Limit * 3, async ct =>
        {
            var clients = new List<Client>();
            try
            {
                for (var i = 0; i < 3; i++)
                    clients.Add(await Open(target, ct));
                for (var i = 2; i >= 0; i--)
                {
                    var text = $"client {i + 1} of three\n";
                    try
                    {
                        var (ok, actual) = Verdict(await clients[i].ExchangeAsync([text], ct), text);
                        if (!ok)
                            return (false, $"client {i + 1}: {actual}");
                    }
                    catch (LabException e) when (i > 0 && !Udp)
                    {
                        return (false, $"client {i + 1} of 3 got nothing back while client 1 stayed connected ({e.Message}): the server serves one client at a time. Handle each accepted connection in its own thread (threading.Thread, socketserver.ThreadingTCPServer) or task (asyncio)");
                    }
                }
                return (true, "all three answered while open together");
            }
            finally
            {
                foreach (var c in clients)
                    await c.DisposeAsync();
            }
        }, cancellationToken);

        await checks.RunAsync(Udp ? "Long datagram" : "Long line", 1, $"a {LongBytes}-byte line (and its \"\\n\"){(Udp ? " in one datagram" : "")} comes back complete", Limit, async ct =>
        {
            await using var c = await Open(target, ct);
            var text = string.Concat(Enumerable.Range(0, LongBytes).Select(i => "abcdefghijklmnopqrstuvwxyz0123456789"[i % 36])) + "\n";
            return Verdict(await c.ExchangeAsync([text], ct), text);
        }, cancellationToken);
        checks.Finish();
    }

    private string Expect(string text) => options.Uppercase ? text.ToUpperInvariant() : text;

    /// <summary>Compared without the line end (a server may drop or change it) and, but for the case check, ignoring case.</summary>
    private static bool Same(string got, string want, bool ignoreCase) =>
        string.Equals(got.TrimEnd('\r', '\n'), want.TrimEnd('\r', '\n'), ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);

    private (bool, string) Verdict(string got, string sent)
    {
        if (Same(got, sent, ignoreCase: true))
            return (true, $"{got.Length} bytes back, as sent{(options.Uppercase ? " (case aside)" : "")}");
        var want = sent.TrimEnd('\r', '\n');
        var have = got.TrimEnd('\r', '\n');
        if (have.Length < want.Length && want.StartsWith(have, StringComparison.OrdinalIgnoreCase))
            return (false, Udp
                ? $"only the first {got.Length} of {sent.Length} bytes came back: receive with a buffer as large as a datagram can be, recvfrom(65535)"
                : $"only the first {got.Length} of {sent.Length} bytes came back: the server answered only the first recv(). Loop: recv() and send back until the client closes (or until the line end)");
        return (false, $"\"{Show(got, 80)}\" came back instead of \"{Show(sent, 80)}\"");
    }

    private static string Show(string text, int max = 200) => Printable.Ascii(Encoding.Latin1.GetBytes(text), max);

    private async Task<Client> Open(ProbeTarget target, CancellationToken ct)
    {
        var socket = Udp ? new Socket(target.Address.AddressFamily, SocketType.Dgram, ProtocolType.Udp)
            : new Socket(target.Address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (Udp)
                socket.Bind(new IPEndPoint(target.Address.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0));
            else
                await socket.ConnectAsync(target.EndPoint, ct);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return new Client(socket, target.EndPoint, Udp, options.TimeoutMs, environment.Time);
    }

    /// <summary>One grader client: sends pieces (paused between) and reads back as many bytes as were sent, the line end, or until closed.</summary>
    private sealed class Client(Socket socket, IPEndPoint server, bool udp, int timeoutMs, TimeProvider time) : IAsyncDisposable
    {
        public async Task<string> ExchangeAsync(string[] pieces, CancellationToken ct)
        {
            var sent = 0;
            var got = new List<byte>();
            var buffer = new byte[65_536];
            for (var i = 0; i < pieces.Length; i++)
            {
                if (i > 0)
                {
                    await Task.Delay(PieceGap, time, ct);
                    if (!udp && Drain(got, buffer))
                        break; // the server closed: what came is its whole answer
                }
                var bytes = Encoding.ASCII.GetBytes(pieces[i]);
                if (udp)
                    await socket.SendToAsync(bytes, SocketFlags.None, server, ct);
                else
                    await socket.SendAsync(bytes, SocketFlags.None, ct);
                sent += bytes.Length;
            }
            using var wait = Deadline.After(timeoutMs, ct, time);
            while (got.Count < sent && !(got.Count > 0 && got[^1] == '\n'))
            {
                int n;
                try
                {
                    if (udp)
                    {
                        // Only a datagram from the server's address and port counts as its answer.
                        var r = await socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(server.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0), wait.Token);
                        if (!r.RemoteEndPoint.Equals(server))
                            continue;
                        got.AddRange(buffer.AsSpan(0, r.ReceivedBytes));
                        break;
                    }
                    n = await socket.ReceiveAsync(buffer, SocketFlags.None, wait.Token);
                }
                catch (OperationCanceledException) when (wait.Expired)
                {
                    if (got.Count > 0)
                        break;
                    throw new LabException(udp ? $"no datagram back to this socket's address and port within {timeoutMs} ms: answer with sendto(data, client_address), the address recvfrom() returned"
                        : $"nothing came back within {timeoutMs} ms");
                }
                catch (SocketException) when (!udp)
                {
                    if (got.Count == 0)
                        throw new LabException("the connection was reset with nothing received: the server closed it with data unread, i.e. it answered only the first recv() and closed. Loop: recv() and send back until the client closes");
                    break;
                }
                if (n == 0)
                {
                    if (got.Count == 0)
                        throw new LabException("the server closed the connection without sending anything back");
                    break;
                }
                got.AddRange(buffer.AsSpan(0, n));
            }
            return Encoding.Latin1.GetString([.. got]);
        }

        /// <summary>Takes what has arrived without waiting; true when the server has closed the connection.</summary>
        private bool Drain(List<byte> got, byte[] buffer)
        {
            try
            {
                // Bounded: a server that floods keeps Poll true for ever, and this loop does not wait on any clock.
                while (got.Count < MaxAnswerBytes && socket.Poll(0, SelectMode.SelectRead))
                {
                    var n = socket.Receive(buffer);
                    if (n == 0)
                        return true;
                    got.AddRange(buffer.AsSpan(0, n));
                }
                return false;
            }
            catch (SocketException)
            {
                return true;
            }
        }

        public ValueTask DisposeAsync()
        {
            socket.CloseQuietly();
            return ValueTask.CompletedTask;
        }
    }
}
