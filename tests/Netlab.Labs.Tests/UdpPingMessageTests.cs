using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Netlab.Labs.UdpPing;

namespace Netlab.Labs.Tests;

public class UdpPingMessageTests
{
    [Fact]
    public void Format_writes_the_handout_line_with_unix_seconds()
    {
        var sentAt = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123).AddTicks(4560);
        var text = Encoding.ASCII.GetString(UdpPingMessage.Format(7, sentAt));
        Assert.Equal("Ping 7 1700000000.123456", text);
    }

    [Theory]
    [InlineData("Ping 1 1700000000.123456", 1, 1700000000.123456)]
    [InlineData("PING 10 1700000000.5", 10, 1700000000.5)]
    [InlineData("ping 3", 3, null)]
    [InlineData("Ping 42 1700000000.25\n", 42, 1700000000.25)]
    [InlineData("Ping 5 1e9", 5, 1e9)]
    public void TryParse_reads_pings_and_their_upper_cased_echoes(string text, int sequence, double? time)
    {
        Assert.True(UdpPingMessage.TryParse(Encoding.ASCII.GetBytes(text), out var message));
        Assert.Equal(sequence, message.Sequence);
        Assert.Equal(time, message.SentUnixSeconds);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Ping")]
    [InlineData("Ping ")]
    [InlineData("Pong 1 2")]
    [InlineData("Ping 0 1700000000")]
    [InlineData("Ping -1 1700000000")]
    [InlineData("Ping +1 1700000000")]
    [InlineData("Ping 1x 1700000000")]
    [InlineData("Ping  1 1700000000")]
    [InlineData("Ping 1  1700000000")]
    [InlineData("Ping 1 abc")]
    [InlineData("Ping 1 1700000000 extra")]
    [InlineData("Ping 9999999999 1")]
    [InlineData("Ping 1 NaN")]
    [InlineData("Ping\t1 2")]
    [InlineData("Ping 1 1700000000.000000000000000000000000000000000000000000000000000000000001")]
    public void TryParse_rejects_anything_else(string text)
    {
        Assert.False(UdpPingMessage.TryParse(Encoding.ASCII.GetBytes(text), out _));
    }

    [Fact]
    public void Every_prefix_of_a_message_fed_byte_by_byte_parses_or_is_rejected_without_throwing()
    {
        var bytes = UdpPingMessage.Format(123, DateTimeOffset.UtcNow);
        var parsed = 0;
        for (var length = 0; length <= bytes.Length; length++)
        {
            if (UdpPingMessage.TryParse(bytes.AsSpan(0, length), out var m))
            {
                parsed++;
                Assert.InRange(m.Sequence, 1, 123);
            }
        }
        // "Ping 1", "Ping 12", "Ping 123" and the prefixes ending in the time's digits parse; the rest do not.
        Assert.True(parsed >= 3);
        Assert.True(UdpPingMessage.TryParse(bytes, out var whole) && whole.Sequence == 123);
    }

    [Fact]
    public void Random_bytes_never_throw_and_what_parses_is_a_positive_sequence()
    {
        Prop.ForAll<byte[]>(bytes =>
        {
            var ok = UdpPingMessage.TryParse(bytes, out var m);
            return !ok || m.Sequence >= 1;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Random_text_around_the_keyword_never_throws()
    {
        Prop.ForAll<string>(s =>
        {
            var bytes = Encoding.UTF8.GetBytes("Ping " + s);
            var ok = UdpPingMessage.TryParse(bytes, out var m);
            return !ok || m.Sequence >= 1;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void ToUpperAscii_does_what_pythons_bytes_upper_does()
    {
        var payload = new byte[] { (byte)'p', (byte)'i', (byte)'n', (byte)'g', 0x00, 0xE9, (byte)'z', (byte)'{', (byte)'`', (byte)'a' };
        UdpPingMessage.ToUpperAscii(payload);
        Assert.Equal(new byte[] { (byte)'P', (byte)'I', (byte)'N', (byte)'G', 0x00, 0xE9, (byte)'Z', (byte)'{', (byte)'`', (byte)'A' }, payload);
    }

    [Fact]
    public void Printable_previews_replace_unprintable_bytes_and_truncate()
    {
        Assert.Equal("a.b", Netlab.Labs.Core.Printable.Ascii([(byte)'a', 0x01, (byte)'b']));
        Assert.Equal("abc…", Netlab.Labs.Core.Printable.Ascii("abcdef"u8, 3));
    }
}
