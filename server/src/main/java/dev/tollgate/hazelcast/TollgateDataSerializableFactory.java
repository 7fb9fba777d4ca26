package dev.tollgate.hazelcast;

import com.hazelcast.nio.serialization.IdentifiedDataSerializable;

/** Creates Tollgate's IdentifiedDataSerializable classes by class id. */
final class TollgateDataSerializableFactory {
  private TollgateDataSerializableFactory() {}

  static IdentifiedDataSerializable create(int classId) {
    return switch (classId) {
      case RecordProcessors.Reserve.CLASS_ID -> new RecordProcessors.Reserve();
      case RecordProcessors.Adjust.CLASS_ID -> new RecordProcessors.Adjust();
      case RecordProcessors.Status.CLASS_ID -> new RecordProcessors.Status();
      case RecordProcessors.Outcome.CLASS_ID -> new RecordProcessors.Outcome();
      case NonceProcessor.CLASS_ID -> new NonceProcessor();
      case ExpiredPending.CLASS_ID -> new ExpiredPending();
      case LedgerMerge.CLASS_ID -> new LedgerMerge();
      default -> null;
    };
  }
}
