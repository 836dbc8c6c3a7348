using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
using Netlab.Labs.Core;

namespace Netlab.Labs.Tests;

/// <summary>
/// A scripted, hostile TCP server on a loopback port 0 for the probes to meet: each accepted
/// connection runs the script (flood, trickle, lie, reset) until it ends, the probe hangs up or
/// the peer is disposed. What the peer does is counted, so a test can say how much it sent.
/// </summary>
public sealed class HostileTcpPeer : IAsyncDisposable
{
    private readonly Socket listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly CancellationTokenSource stop = new();
    private readonly Func<PeerConnection, CancellationToken, Task> script;
    private readonly List<Task> sessions = [];
    private readonly Task loop;
    private int connections;

    public HostileTcpPeer(Func<PeerConnection, CancellationToken, Task> script)
    {
        this.script = script;
        listener.Bind(Loopback.AnyPort);
        listener.Listen(100);
        loop = AcceptAsync();
    }

    public IPEndPoint EndPoint => (IPEndPoint)listener.LocalEndPoint!;

    public ProbeTarget Target => Loopback.Target(EndPoint);

    public int Connections => Volatile.Read(ref connections);

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var socket = await listener.AcceptAsync(stop.Token);
                Interlocked.Increment(ref connections);
                lock (sessions)
                    sessions.Add(RunAsync(new PeerConnection(socket)));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task RunAsync(PeerConnection connection)
    {
        try
        {
            await script(connection, stop.Token);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            // The probe hung up on the flood, or the test ended: that is how these scripts stop.
        }
        finally
        {
            connection.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        stop.Cancel();
        listener.Dispose();
        await loop;
        Task[] running;
        lock (sessions) running = [.. sessions];
        await Task.WhenAll(running);
        stop.Dispose();
    }
}

/// <summary>One connection of a <see cref="HostileTcpPeer"/>: raw sends, line reads, a flood, a reset.</summary>
public sealed class PeerConnection(Socket socket) : IDisposable
{
    private readonly byte[] buffer = new byte[64 * 1024];
    private int filled;
    private long sent;

    public Socket Socket => socket;

    public long BytesSent => Interlocked.Read(ref sent);

    public Task SendAsync(string text, CancellationToken ct) => SendAsync(Encoding.Latin1.GetBytes(text), ct);

    public async Task SendAsync(byte[] bytes, CancellationToken ct)
    {
        await socket.SendAsync(bytes, SocketFlags.None, ct);
        Interlocked.Add(ref sent, bytes.Length);
    }

    /// <summary>Sends the same bytes again and again until the other side hangs up (or the test ends).</summary>
    public async Task FloodAsync(byte[] bytes, CancellationToken ct)
    {
        while (true)
            await SendAsync(bytes, ct);
    }

    /// <summary>The next LF-terminated line (without CR/LF), or null when the client closed.</summary>
    public async Task<string?> ReadLineAsync(CancellationToken ct)
    {
        while (true)
        {
            var lf = buffer.AsSpan(0, filled).IndexOf((byte)'\n');
            if (lf >= 0)
            {
                var line = Encoding.Latin1.GetString(buffer, 0, lf).TrimEnd('\r');
                buffer.AsSpan(lf + 1, filled - lf - 1).CopyTo(buffer);
                filled -= lf + 1;
                return line;
            }
            var n = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, ct);
            if (n == 0)
                return null;
            filled += n;
        }
    }

    /// <summary>Reads up to the blank line that ends an HTTP request head.</summary>
    public async Task ReadHttpHeadAsync(CancellationToken ct)
    {
        while (await ReadLineAsync(ct) is { Length: > 0 })
        {
        }
    }

    /// <summary>Reads exactly count bytes (e.g. a length-prefixed DNS query).</summary>
    public async Task<byte[]> ReadExactlyAsync(int count, CancellationToken ct)
    {
        while (filled < count)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, ct);
            if (n == 0)
                throw new IOException("closed");
            filled += n;
        }
        var bytes = buffer[..count];
        buffer.AsSpan(count, filled - count).CopyTo(buffer);
        filled -= count;
        return bytes;
    }

    /// <summary>Closes with a TCP reset (RST) instead of a FIN: the probe sees "connection reset" mid-reply.</summary>
    public void Reset()
    {
        socket.LingerState = new LingerOption(true, 0);
        socket.Close();
    }

    public void Dispose() => socket.Dispose();
}

/// <summary>
/// A scripted UDP peer on a loopback port 0: the script gets each datagram and the sender, and may
/// answer with anything, any number of times.
/// </summary>
public sealed class HostileUdpPeer : IAsyncDisposable
{
    private readonly Socket socket = Loopback.UdpClient();
    private readonly CancellationTokenSource stop = new();
    private readonly Task loop;
    private long sent;

    public HostileUdpPeer(Func<HostileUdpPeer, byte[], EndPoint, CancellationToken, Task> onDatagram)
    {
        loop = Task.Run(async () =>
        {
            var buffer = new byte[65_535];
            try
            {
                while (true)
                {
                    var got = await socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), stop.Token);
                    await onDatagram(this, buffer[..got.ReceivedBytes], got.RemoteEndPoint, stop.Token);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }
        });
    }

    public ProbeTarget Target => Loopback.Target((IPEndPoint)socket.LocalEndPoint!);

    public long DatagramsSent => Interlocked.Read(ref sent);

    public async Task SendAsync(byte[] datagram, EndPoint to, CancellationToken ct)
    {
        await socket.SendToAsync(datagram, SocketFlags.None, to, ct);
        Interlocked.Increment(ref sent);
    }

    /// <summary>Sends datagrams to the client until the test ends (or the client's port is gone).</summary>
    public async Task FloodAsync(Func<long, byte[]> datagram, EndPoint to, CancellationToken ct)
    {
        for (long i = 0; ; i++)
        {
            try
            {
                await SendAsync(datagram(i), to, ct);
            }
            catch (SocketException)
            {
                // ICMP port unreachable from an earlier datagram once the probe closed its socket: keep going until stopped.
            }
            if (i % 64 == 0)
                await Task.Yield();
        }
    }

    public async ValueTask DisposeAsync()
    {
        stop.Cancel();
        socket.Dispose();
        await loop;
        stop.Dispose();
    }
}

/// <summary>A stream that hands over its bytes one at a time, as the slowest network would.</summary>
public sealed class OneByteStream(byte[] data) : Stream
{
    private int position;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (position == data.Length || buffer.Length == 0)
            return 0;
        buffer[0] = data[position++];
        return 1;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromResult(Read(buffer, offset, count));

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => data.Length;
    public override long Position { get => position; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
