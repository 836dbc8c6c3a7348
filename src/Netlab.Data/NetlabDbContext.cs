using Microsoft.EntityFrameworkCore;

namespace Netlab.Data;

public sealed class NetlabDbContext(DbContextOptions<NetlabDbContext> options) : DbContext(options)
{
    public DbSet<RunEntity> Runs => Set<RunEntity>();
    public DbSet<RunEventEntity> RunEvents => Set<RunEventEntity>();

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
    }
}
