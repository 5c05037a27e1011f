import { Partitioners, type Kafka, type PartitionMetadata } from "kafkajs";

/**
 * Which webhooks' jobs this dispatcher owns: those whose partition of the deliveries topic
 * (jobs are keyed by webhook id) is assigned here. Only the owner keeps a webhook's
 * circuit and releases its parked deliveries.
 */
export class PartitionOwnership {
  private readonly partitionOf = Partitioners.DefaultPartitioner();
  private assigned = new Set<number>();
  /** The deliveries topic's partitions, as the partitioner wants them; empty until known. */
  private partitionMetadata: PartitionMetadata[] = [];
  /** From the start of a rebalance until the next assignment: any partition may be going elsewhere. */
  private revoking = false;

  constructor(private readonly opts: { kafka: Kafka; deliveriesTopic: string }) {}

  owns(webhookId: string): boolean {
    if (this.revoking) return false;
    // Not known yet (metadata unreadable): assume so rather than stall; the cost is a rare duplicate.
    if (this.partitionMetadata.length === 0) return true;
    return this.assigned.has(this.partitionOf({ topic: this.opts.deliveriesTopic, partitionMetadata: this.partitionMetadata, message: { key: webhookId, value: null } }));
  }

  /** A rebalance began: nothing is owned until the next assignment, as intake's jobs are not. */
  revoke(): void {
    this.revoking = true;
  }

  async assign(partitions: number[]): Promise<void> {
    const admin = this.opts.kafka.admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [this.opts.deliveriesTopic] });
      this.partitionMetadata = topics[0]?.partitions ?? [];
    } finally {
      await admin.disconnect();
    }
    this.assigned = new Set(partitions);
    this.revoking = false;
  }
}
