using System.Net.Sockets;

namespace Netlab.Labs.Core;

public static class SocketReads
{
    /// <summary>
    /// Fills the buffer from a stream socket (TCP hands over bytes in any chunks it likes);
    /// false when the peer closes first. Bound the wait with the token.
    /// </summary>
    public static async Task<bool> ReceiveExactlyAsync(this Socket socket, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await socket.ReceiveAsync(buffer[read..], SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (n == 0)
                return false;
            read += n;
        }
        return true;
    }
}
