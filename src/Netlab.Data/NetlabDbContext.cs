using Microsoft.EntityFrameworkCore;

namespace Netlab.Data;

public sealed class NetlabDbContext(DbContextOptions<NetlabDbContext> options) : DbContext(options)
{
    public DbSet<RunEntity> Runs => Set<RunEntity>();
    public DbSet<RunEventEntity> RunEvents => Set<RunEventEntity>();
    public DbSet<ServerEntity> Servers => Set<ServerEntity>();
    public DbSet<ServerEventEntity> ServerEvents => Set<ServerEventEntity>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<RunEntity>(run =>
        {
            run.ToTable("Runs");
            run.HasKey(r => r.Id);
            run.Property(r => r.Lab).HasMaxLength(64);
            run.Property(r => r.Probe).HasMaxLength(64);
            run.Property(r => r.TargetHost).HasMaxLength(255);
            run.Property(r => r.TargetAddress).HasMaxLength(64);
            run.Property(r => r.Status).HasConversion<string>().HasMaxLength(16);
            run.HasIndex(r => r.CreatedAt);
            run.HasIndex(r => new { r.Lab, r.Status });
            run.HasMany<RunEventEntity>().WithOne().HasForeignKey(e => e.RunId).OnDelete(DeleteBehavior.Cascade);
        });
        modelBuilder.Entity<RunEventEntity>(e =>
        {
            e.ToTable("RunEvents");
            e.HasKey(x => new { x.RunId, x.Seq });
            e.Property(x => x.Kind).HasMaxLength(32);
        });
        modelBuilder.Entity<ServerEntity>(server =>
        {
            server.ToTable("Servers");
            server.HasKey(s => s.Id);
            server.Property(s => s.Lab).HasMaxLength(64);
            server.Property(s => s.OwnerId).HasMaxLength(64);
            server.Property(s => s.OwnerName).HasMaxLength(256);
            server.Property(s => s.Address).HasMaxLength(64);
            server.Property(s => s.State).HasConversion<string>().HasMaxLength(16);
            // Lists are newest first, by lab and/or state; retention deletes by StartedAt; owners list their own.
            server.HasIndex(s => s.StartedAt);
            server.HasIndex(s => new { s.Lab, s.State });
            server.HasIndex(s => s.OwnerId);
            server.HasMany<ServerEventEntity>().WithOne().HasForeignKey(e => e.ServerId).OnDelete(DeleteBehavior.Cascade);
        });
        modelBuilder.Entity<ServerEventEntity>(e =>
        {
            e.ToTable("ServerEvents");
            // Paging reads by (ServerId, Seq > after); the key is that index.
            e.HasKey(x => new { x.ServerId, x.Seq });
            e.Property(x => x.Kind).HasMaxLength(32);
        });
    }
}
