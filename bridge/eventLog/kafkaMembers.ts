import { AssignerProtocol, PartitionAssigners, type Admin, type PartitionAssigner } from 'kafkajs';
import type { GroupMember } from './port';

/** The group's round-robin assignment, with this replica's endpoint in its member metadata for the others to find. */
export function advertising(endpoint: string): PartitionAssigner {
  return (config) => {
    const roundRobin = PartitionAssigners.roundRobin(config);
    return {
      name: 'InventoryRoundRobin',
      version: 0,
      assign: (group) => roundRobin.assign(group),
      protocol: ({ topics }) => ({
        name: 'InventoryRoundRobin',
        metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.from(endpoint) }),
      }),
    };
  };
}

/** Members of a stable group with what they advertised and own; none while it rebalances. */
export async function describeMembers(admin: Admin, groupId: string, topic: string): Promise<GroupMember[]> {
  const { groups } = await admin.describeGroups([groupId]);
  const group = groups[0];
  if (!group || group.state !== 'Stable') return [];
  return group.members.map((member) => {
    const metadata = AssignerProtocol.MemberMetadata.decode(member.memberMetadata);
    const assignment = AssignerProtocol.MemberAssignment.decode(member.memberAssignment);
    return {
      memberId: member.memberId,
      endpoint: metadata?.userData.toString() ?? '',
      partitions: [...(assignment?.assignment[topic] ?? [])].sort((a, b) => a - b),
    };
  });
}

