package dev.tollgate.hazelcast;

import com.hazelcast.nio.serialization.IdentifiedDataSerializable;

/** Base of Tollgate's IdentifiedDataSerializable classes: one factory, a class id each. */
abstract class TollgateSerializable implements IdentifiedDataSerializable {
  @Override
  public final int getFactoryId() {
    return HazelcastSerialization.FACTORY_ID;
  }
}
